"""ISO 4217 currency codes in circulation and their minor units.

Kept as a table in the repo rather than a dependency: the list changes a few times a
decade, lookups sit on the ingestion hot path, and none of the packages that carry it
give ISO's minor units (CLDR's "digits" differ for several currencies). Source: the ISO
4217 maintenance agency's list one (current currencies), funds codes and precious metals
(X..) excluded except the widely used regional XAF/XOF/XCD/XPF.
"""

from __future__ import annotations

from decimal import Decimal

_MINOR_UNITS_BY_DIGITS: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

_TWO_DIGIT = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {code: 2 for code in _TWO_DIGIT.split()}
for _digits, _codes in _MINOR_UNITS_BY_DIGITS.items():
    MINOR_UNITS.update({code: _digits for code in _codes.split()})

# The quantum to format an amount with, e.g. Decimal("0.01") for USD.
QUANTUM: dict[str, Decimal] = {
    code: Decimal(1).scaleb(-digits) for code, digits in MINOR_UNITS.items()
}


def minor_units(code: str) -> int | None:
    """Return the number of decimal places ``code`` allows, or None if it is not ISO 4217."""
    return MINOR_UNITS.get(code)


def format_money(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as a decimal string with the currency's minor units.

    A tiny negative amount rounds to zero without a sign: people read "0.00", not "-0.00".
    """
    rounded = amount.quantize(QUANTUM.get(currency, Decimal("0.01")))
    return str(rounded.copy_abs() if rounded.is_zero() else rounded)


def money_display(amount: Decimal | str | int, currency: str | None) -> str:
    """Return ``amount`` as people read it: the currency's minor units, thousands grouped,
    and the code ("-1,234.56 USD", "1,500 JPY"); the one format of every page and the admin.

    ``amount`` may be a decimal string as the reports return them. No code (an account
    before its first transaction): the number alone, at two places.
    """
    value = Decimal(amount)
    rounded = Decimal(format_money(value, currency or ""))
    text = f"{rounded:,}"
    return f"{text} {currency}" if currency else text
