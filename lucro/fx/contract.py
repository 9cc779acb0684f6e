"""What a rate is, defined once: the checks of an upload, of the ECB's files, and the schema.

A rate is a positive decimal with at most ``RATE_DECIMAL_PLACES`` places and below
10^``RATE_INTEGER_DIGITS`` (the column's NUMERIC(24, 12)); a currency is an ISO 4217 code
in circulation (``lucro.core.currencies``). An upload is ``{"rates": [...]}`` of 1 to
``UPLOAD_MAX_RATES`` objects ``{"date", "base", "quote", "rate"}``; every problem is
reported with its JSON pointer and nothing is stored unless all are right.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from lucro.core.currencies import minor_units
from lucro.core.errors import ValidationFailed, pointer_escape
from lucro.core.params import iso_date
from lucro.fx.models import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS
from lucro.fx.store import RateIn

RATE_INTEGER_DIGITS = RATE_MAX_DIGITS - RATE_DECIMAL_PLACES
# A body of 10 000 rates is ≈ 700 KB and upserts in one statement; a year of daily rates
# for 27 currencies fits in one request.
UPLOAD_MAX_RATES = 10_000
# As ingestion does: enough to correct a body, too few to make a multi-megabyte answer.
MAX_REPORTED_ERRORS = 200
UPLOAD_FIELDS = ("date", "base", "quote", "rate")

# A rate sent as a string: digits and at most one point, as many places each side as the
# column holds. ``Decimal()`` alone also takes "1e3", " 5", "1_000", "NaN" and non-ASCII
# digits. The schema states this very pattern.
RATE_PATTERN = rf"^[0-9]{{1,{RATE_INTEGER_DIGITS}}}(\.[0-9]{{1,{RATE_DECIMAL_PLACES}}})?$"
_RATE_TEXT = re.compile(RATE_PATTERN.strip("^$"))
_RATE_LIMIT = Decimal(10) ** RATE_INTEGER_DIGITS
_RATE_SHAPE = "a positive decimal number or decimal string (e.g. 129.25)"


def currency_problem(value: Any) -> str | None:
    """Return why ``value`` is not an ISO 4217 code in circulation, or None."""
    if not isinstance(value, str):
        return "Must be a string: an ISO 4217 currency code, e.g. USD."
    if minor_units(value) is None:
        return "Must be an ISO 4217 currency code in circulation, e.g. USD (upper case)."
    return None


def _decimal_places(value: Decimal) -> int:
    """Return how many places ``value`` needs after the point (trailing zeros do not count)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    while exponent < 0 and digits and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    return max(0, -exponent)


def rate_parse(value: Any) -> Decimal:
    """Return ``value`` (a JSON number read as a Decimal, an int, or a decimal string) as a
    rate, or raise ``ValueError`` with a sentence for a problem document.

    A JSON number reaches here as a Decimal read from its text (the view's parser has
    ``float_hook=Decimal``), never through a binary float.
    """
    if isinstance(value, str):
        if not _RATE_TEXT.fullmatch(value):
            raise ValueError(
                f"Must be {_RATE_SHAPE}: up to {RATE_INTEGER_DIGITS} digits, a point and up to "
                f"{RATE_DECIMAL_PLACES} more; no sign, exponent or spaces."
            )
        rate = Decimal(value)
    elif isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        rate = Decimal(value)
    else:
        raise ValueError(f"Must be {_RATE_SHAPE}.")
    if not rate.is_finite():
        raise ValueError(f"Must be {_RATE_SHAPE}.")
    if rate <= 0:
        raise ValueError("Must be greater than 0.")
    if rate >= _RATE_LIMIT:
        raise ValueError(f"Must be below 10^{RATE_INTEGER_DIGITS}.")
    if _decimal_places(rate) > RATE_DECIMAL_PLACES:
        raise ValueError(f"Must have at most {RATE_DECIMAL_PLACES} decimal places.")
    return rate


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.count = 0

    def add(self, pointer: str, detail: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append({"pointer": pointer, "detail": detail})

    def raise_if_any(self) -> None:
        if self.count:
            listed = (
                ""
                if self.count <= MAX_REPORTED_ERRORS
                else f" (the first {MAX_REPORTED_ERRORS} listed)"
            )
            raise ValidationFailed(
                f"{self.count} problem(s) found{listed}; nothing was stored.", errors=self.items
            )


def _item(item: Any, pointer: str, latest: dt.date, problems: _Problems) -> RateIn | None:
    if not isinstance(item, dict):
        problems.add(pointer, "Must be an object with date, base, quote and rate.")
        return None
    for key in item:
        if key not in UPLOAD_FIELDS:
            problems.add(f"{pointer}/{pointer_escape(key)}", "Not a field of a rate.")
    values: dict[str, Any] = {}
    for name in UPLOAD_FIELDS:
        if name not in item or item[name] is None:
            problems.add(f"{pointer}/{name}", "This field is required.")
            continue
        raw = item[name]
        try:
            if name == "date":
                if not isinstance(raw, str):
                    raise ValueError("must be a date in the form YYYY-MM-DD.")
                date = iso_date(raw)
                if date > latest:
                    raise ValueError(f"must not be after {latest.isoformat()} (tomorrow).")
                values[name] = date
            elif name == "rate":
                values[name] = rate_parse(raw)
            else:
                problem = currency_problem(raw)
                if problem:
                    raise ValueError(problem)
                values[name] = raw
        except ValueError as exc:
            detail = str(exc)
            problems.add(f"{pointer}/{name}", detail[:1].upper() + detail[1:])
    if "base" in values and "quote" in values and values["base"] == values["quote"]:
        problems.add(f"{pointer}/quote", "Must differ from base.")
        return None
    if len(values) < len(UPLOAD_FIELDS):
        return None
    return RateIn(values["date"], values["base"], values["quote"], values["rate"])


def upload_parse(data: Any, *, today: dt.date) -> list[RateIn]:
    """Return the rates of an upload body, or raise ``ValidationFailed`` listing every problem.

    ``today`` is the server's date (UTC): a rate may be dated from DATE_MIN to tomorrow,
    which is already today somewhere east of UTC.
    """
    problems = _Problems()
    if not isinstance(data, dict):
        problems.add("", 'Must be an object: {"rates": [...]}.')
        problems.raise_if_any()
    for key in data:
        if key != "rates":
            problems.add(f"/{pointer_escape(key)}", "Not a field of this request.")
    rates = data.get("rates")
    if rates is None:
        problems.add("/rates", "This field is required.")
    elif not isinstance(rates, list):
        problems.add("/rates", "Must be a list of rates.")
    elif not 1 <= len(rates) <= UPLOAD_MAX_RATES:
        problems.add("/rates", f"Must hold from 1 to {UPLOAD_MAX_RATES} rates.")
    problems.raise_if_any()
    latest = today + dt.timedelta(days=1)
    parsed: list[RateIn] = []
    first_at: dict[tuple[dt.date, str, str], int] = {}
    for index, item in enumerate(rates):
        row = _item(item, f"/rates/{index}", latest, problems)
        if row is None:
            continue
        key = (row.date, row.base, row.quote)
        if key in first_at:
            problems.add(
                f"/rates/{index}",
                f"Repeats /rates/{first_at[key]}: the same date, base and quote.",
            )
            continue
        first_at[key] = index
        parsed.append(row)
    problems.raise_if_any()
    return parsed
