"""Bounds and strict parsers shared by every input path (ingest bodies, query strings).

One definition of what a sane date or a page size is, so the ingest validator, the report
parameters and the list endpoints cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re

# The dates Lucro stores and reports on. Report code adds days and months to them, and
# ``date.max`` (9999-12-31) overflows that arithmetic; no bank statement line is dated
# before 1900 or after 2100, so anything outside is an input error, refused with a pointer.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

# ``str.isdigit()`` accepts "²" and "①", which ``int()`` refuses; only ASCII digits here.
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")


def date_in_range(value: dt.date) -> bool:
    """Return whether ``value`` lies within [DATE_MIN, DATE_MAX]."""
    return DATE_MIN <= value <= DATE_MAX


def ascii_int(raw: str) -> int | None:
    """Return ``raw`` as a non-negative int if it is 1–9 ASCII digits, else None."""
    return int(raw) if _ASCII_DIGITS.fullmatch(raw) else None
