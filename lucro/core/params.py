"""Bounds and strict parsers shared by every input path (ingest bodies, query strings).

One definition of what a sane date or a page size is, so the ingest validator, the report
parameters and the list endpoints cannot drift apart. Each parser accepts exactly one
spelling and says what it expected in a sentence fit for a problem document's ``detail``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

import msgspec

# The dates Lucro stores and reports on. Report code adds days and months to them, and
# ``date.max`` (9999-12-31) overflows that arithmetic; no bank statement line is dated
# before 1900 or after 2100, so anything outside is an input error, refused with a pointer.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

# ``str.isdigit()`` accepts "²" and "①", which ``int()`` refuses; only ASCII digits here.
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")
# ``\d`` matches "٣" and ``date.fromisoformat`` takes "20250505" and "2025-W01-1" too.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An amount sent as a string: ``Decimal()`` alone also takes "1_000", " 5 ", "1e3" and
# Arabic-Indic or full-width digits, none of which an integration means as money.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,19}(?:\.[0-9]{1,19})?")

# A cursor is base64url of a short JSON array of strings that this API wrote. The largest
# it writes (a date, a timestamp and a UUID) is ≈ 130 characters; a bound well above that
# keeps a hostile one from costing more than a glance before it is refused.
CURSOR_MAX_LENGTH = 512
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def date_in_range(value: dt.date) -> bool:
    """Return whether ``value`` lies within [DATE_MIN, DATE_MAX]."""
    return DATE_MIN <= value <= DATE_MAX


def plain_decimal(text: str) -> Decimal | None:
    """Return the amount a plain decimal string (``-100.25``) states, or None."""
    return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else None


def ascii_int(raw: str) -> int | None:
    """Return ``raw`` as a non-negative int if it is 1–9 ASCII digits, else None."""
    return int(raw) if _ASCII_DIGITS.fullmatch(raw) else None


def iso_date(raw: str, *, bounded: bool = True) -> dt.date:
    """Return ``raw``, exactly ``YYYY-MM-DD`` in ASCII digits, as a date.

    With ``bounded`` (inputs), the date must also lie in [DATE_MIN, DATE_MAX]; without it
    (a cursor carrying a stored row's date, which may predate that bound), any real date.
    Raise ``ValueError`` whose message completes "<name> …" (e.g. "must be …").
    """
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        value = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError("must be a date in the form YYYY-MM-DD.") from None
    if bounded and not date_in_range(value):
        raise ValueError(f"must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}.")
    return value


def iso_datetime(raw: str) -> dt.datetime:
    """Return ``raw``, an ISO 8601 timestamp with a UTC offset, as an aware datetime.

    Its date must lie in the sane range: converting a timestamp near ``datetime.max`` or
    ``datetime.min`` to UTC (as the database adapters do) overflows. Raise ``ValueError``.
    """
    try:
        if not raw.isascii():
            raise ValueError(raw)
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp with a UTC offset.") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be an ISO 8601 timestamp with a UTC offset.")
    if not date_in_range(value.date()):
        raise ValueError(f"must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}.")
    return value


def cursor_encode(parts: Sequence[str]) -> str:
    """Return the opaque cursor carrying ``parts`` (base64url JSON, without padding)."""
    return base64.urlsafe_b64encode(msgspec.json.encode(list(parts))).decode().rstrip("=")


def cursor_decode(raw: str, arity: int) -> list[str] | None:
    """Return the ``arity`` strings a cursor of ``cursor_encode`` carries, or None.

    Any other input — too long, not base64url, not UTF-8, not a flat JSON array of
    strings, nested a thousand deep — is None: the decode is typed (``list[str]``), so a
    nested array is refused at its first ``[`` instead of being recursed into.
    """
    if len(raw) > CURSOR_MAX_LENGTH or not _CURSOR_CHARS.fullmatch(raw):
        return None
    try:
        data = base64.urlsafe_b64decode(raw.rstrip("=") + "=" * (-len(raw.rstrip("=")) % 4))
        parts = msgspec.json.decode(data, type=list[str])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        # binascii.Error and UnicodeDecodeError are ValueErrors; msgspec.ValidationError
        # is a DecodeError.
        return None
    return parts if len(parts) == arity else None
