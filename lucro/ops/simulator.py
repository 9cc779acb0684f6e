"""Realistic integration traffic for ``manage.py simulate_integration``.

Merchants and statement lines as they appear on bank and mobile-money statements in the
markets Lucro serves: global brands, and East, West and Southern African ones.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lucro.core.currencies import QUANTUM


@dataclass(frozen=True)
class Merchant:
    merchant_name: str | None
    lines: tuple[str, ...]  # statement descriptions; {n} is a reference number
    low: float  # amount range in USD; converted with a rough rate per currency
    high: float
    channel: str
    money_in: bool = False


MERCHANTS: tuple[Merchant, ...] = (
    Merchant(
        "Amazon",
        ("AMZN Mktp US*{n}", "Amazon.com*{n} AMZN.COM/BILL", "AMAZON MARKETPLACE {n}"),
        8,
        180,
        "online",
    ),
    Merchant("Uber", ("UBER *TRIP HELP.UBER.COM", "UBER   *TRIP {n}"), 4, 35, "online"),
    Merchant("Lyft", ("LYFT   *RIDE SUN 10AM",), 6, 40, "online"),
    Merchant("Starbucks", ("STARBUCKS STORE {n}", "STARBUCKS #{n} SEATTLE WA"), 3, 12, "in store"),
    Merchant("McDonald's", ("MCDONALD'S F{n}", "MCDONALDS {n}"), 4, 18, "in store"),
    Merchant("Netflix", ("NETFLIX.COM 866-579-7172",), 8, 20, "online"),
    Merchant("Spotify", ("Spotify P{n} Stockholm",), 5, 12, "online"),
    Merchant(
        "Amazon Web Services",
        ("AWS EMEA aws.amazon.co", "Amazon Web Services {n}"),
        20,
        400,
        "online",
    ),
    Merchant("Google Cloud", ("GOOGLE *CLOUD {n}",), 15, 300, "online"),
    Merchant(
        "Stripe", ("STRIPE TRANSFER ST-{n}", "STRIPE PAYOUT {n}"), 200, 3000, "other", money_in=True
    ),
    Merchant("PayPal", ("PAYPAL TRANSFER {n}",), 50, 900, "online", money_in=True),
    Merchant(
        None, ("SALARY ACME LTD {n}", "PAYROLL DEPOSIT {n}"), 900, 4000, "other", money_in=True
    ),
    Merchant(
        "Safaricom", ("SAFARICOM AIRTIME TOPUP {n}", "M-PESA BUNDLE PURCHASE {n}"), 1, 15, "online"
    ),
    Merchant(
        "M-Pesa",
        (
            "MPESA BUY GOODS JAVA HOUSE {n}",
            "M-PESA PAYBILL 888880 KPLC {n}",
            "MPESA SEND MONEY TO 07XXXXX{n}",
        ),
        2,
        60,
        "other",
    ),
    Merchant("M-Pesa", ("MPESA RECEIVED FROM JOHN KAMAU {n}",), 10, 200, "other", money_in=True),
    Merchant("MTN", ("MTN MOMO AIRTIME {n}", "MTN DATA BUNDLE 5GB"), 1, 20, "online"),
    Merchant("Airtel", ("AIRTEL MONEY TOPUP {n}",), 1, 15, "online"),
    Merchant("Vodacom", ("VODACOM PREPAID {n}",), 2, 25, "online"),
    Merchant("Bolt", ("BOLT.EU/O/{n}", "BOLT RIDE NAIROBI"), 2, 15, "online"),
    Merchant("Jumia", ("JUMIA NG ORDER {n}", "JUMIA KE *{n}"), 8, 120, "online"),
    Merchant(
        "Shoprite",
        ("POS PURCHASE SHOPRITE {n}", "SHOPRITE CHECKERS {n} CAPE TOWN"),
        8,
        120,
        "in store",
    ),
    Merchant("Pick n Pay", ("PICK N PAY {n} ROSEBANK",), 8, 110, "in store"),
    Merchant("Woolworths", ("WOOLWORTHS {n} SANDTON",), 10, 140, "in store"),
    Merchant("Kenya Power", ("KPLC PREPAID TOKEN {n}",), 5, 60, "other"),
    Merchant("Engen", ("ENGEN {n} N1 CITY",), 15, 80, "in store"),
    Merchant("Shell", ("SHELL {n} WESTLANDS", "SHELL SERVICE STN {n}"), 15, 90, "in store"),
    Merchant("Sasol", ("SASOL {n} GARAGE",), 15, 80, "in store"),
    Merchant(None, ("MATATU FARE CBD-RONGAI", "BODA BODA RIDE {n}"), 0.5, 3, "other"),
    Merchant("WorldRemit", ("WORLDREMIT TRANSFER {n}",), 50, 500, "online"),
    Merchant(None, ("CHARCOAL VENDOR KIBERA", "K-GAS REFILL 6KG {n}"), 2, 20, "in store"),
)

# Rough units per USD, only to make amounts look plausible in each currency.
RATES: dict[str, float] = {
    "USD": 1,
    "EUR": 0.92,
    "GBP": 0.79,
    "KES": 129,
    "NGN": 1550,
    "ZAR": 18.2,
    "GHS": 15.5,
    "UGX": 3700,
    "TZS": 2600,
    "RWF": 1350,
    "XOF": 605,
    "EGP": 48,
    "JPY": 150,
}
MIXED = ("USD", "KES", "NGN", "ZAR", "GHS", "UGX", "EUR", "GBP")

ACCOUNT_KINDS = (
    ("Everyday Checking", "depository", "checking"),
    ("Savings", "depository", "savings"),
    ("M-Pesa Wallet", "depository", "mobile money"),
    ("Business Current", "depository", "checking"),
    ("Visa Credit", "credit", "credit card"),
)


def _amount(rng: random.Random, merchant: Merchant, currency: str) -> Decimal:
    rate = RATES.get(currency, 1.0)
    value = Decimal(str(rng.uniform(merchant.low, merchant.high) * rate))
    quantum = QUANTUM.get(currency, Decimal("0.01"))
    value = max(value.quantize(quantum), quantum)
    return value if merchant.money_in else -value


def generate_payload(
    *,
    accounts: int,
    transactions: int | None,
    currency: str,
    seed: int | None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Return an ingestion payload; ``transactions`` per account, else 10–15 each."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    run = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
    account_rows: list[dict[str, Any]] = []
    txn_rows: list[dict[str, Any]] = []
    for a in range(accounts):
        name, kind, subtype = rng.choice(ACCOUNT_KINDS)
        code = rng.choice(MIXED) if currency.upper() == "MIXED" else currency.upper()
        account_id = f"sim_{run}_{a + 1}"
        account_rows.append(
            {
                "account_id": account_id,
                "name": name,
                "type": kind,
                "subtype": subtype,
                "mask": f"{rng.randint(0, 9999):04d}",
                "iso_currency_code": code,
            }
        )
        count = transactions if transactions is not None else rng.randint(10, 15)
        for t in range(count):
            merchant = rng.choice(MERCHANTS)
            day = today - dt.timedelta(days=rng.randint(0, 29))
            at = dt.datetime.combine(
                day, dt.time(rng.randint(6, 22), rng.randint(0, 59)), tzinfo=dt.UTC
            )
            line = rng.choice(merchant.lines).format(n=rng.randint(1000, 99999))
            txn_rows.append(
                {
                    "transaction_id": f"{account_id}_tx_{t + 1}",
                    "account_id": account_id,
                    "amount": str(_amount(rng, merchant, code)),
                    "iso_currency_code": code,
                    "date": at.isoformat().replace("+00:00", "Z"),
                    "authorized_date": day.isoformat(),
                    "name": line,
                    "merchant_name": merchant.merchant_name,
                    "payment_channel": merchant.channel,
                    "pending": rng.random() < 0.05,
                }
            )
    return {
        "accounts": account_rows,
        "transactions": txn_rows,
        "total_transactions": len(txn_rows),
        # Fresh per run: a seeded re-run re-sends the same rows, not the same request.
        "request_id": f"sim_{run}_{uuid.uuid4().hex[:12]}",
    }
