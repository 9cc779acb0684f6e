"""The shared strict parsers: integers, dates, timestamps and cursors."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from lucro.core.params import (
    CURSOR_MAX_LENGTH,
    DATE_MAX,
    DATE_MIN,
    ascii_int,
    cursor_decode,
    cursor_encode,
    iso_date,
    iso_datetime,
)


@pytest.mark.parametrize("raw", ["²", "①", "٣", "５０", "", " 5", "5 ", "+5", "-1", "1e2", "1.5"])
def test_ascii_int_refuses_what_isdigit_or_int_would_take(raw: str) -> None:
    assert ascii_int(raw) is None


def test_ascii_int_takes_plain_digits_up_to_nine() -> None:
    assert ascii_int("0") == 0
    assert ascii_int("500") == 500
    assert ascii_int("999999999") == 999_999_999
    assert ascii_int("1" * 10) is None


@pytest.mark.parametrize(
    "raw",
    ["20250505", "2025-W01", "2025-W01-1", "2025-1-5", "٢٠٢٥-٠١-٠١", "2025-01-01\n", "2025-02-30"],
)
def test_iso_date_takes_one_spelling_only(raw: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        iso_date(raw)


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "2101-01-01", "1899-12-31"])
def test_iso_date_is_bounded(raw: str) -> None:
    with pytest.raises(ValueError, match="between 1900-01-01 and 2100-12-31"):
        iso_date(raw)
    assert iso_date(raw, bounded=False) == dt.date.fromisoformat(raw)


def test_iso_date_edges_are_inside() -> None:
    assert iso_date("1900-01-01") == DATE_MIN
    assert iso_date("2100-12-31") == DATE_MAX


@pytest.mark.parametrize(
    "raw",
    [
        "2025-01-01T00:00:00",  # naive
        "9999-12-31T23:59:59-14:00",  # overflows on conversion to UTC
        "0001-01-01T00:00:00+14:00",
        "２０２５-01-01T00:00:00+00:00",
        "yesterday",
    ],
)
def test_iso_datetime_refuses_naive_unbounded_and_garbage(raw: str) -> None:
    with pytest.raises(ValueError):
        iso_datetime(raw)


def test_iso_datetime_takes_what_isoformat_writes() -> None:
    moment = dt.datetime(2025, 10, 1, 8, 30, 1, 123456, tzinfo=dt.UTC)
    assert iso_datetime(moment.isoformat()) == moment


def test_cursor_round_trip_padded_or_not() -> None:
    parts = ["2025-10-01", "2025-10-01T08:00:00+00:00", "0190a0b8-7c7e-7000-8000-000000000000"]
    cursor = cursor_encode(parts)
    assert "=" not in cursor
    assert cursor_decode(cursor, 3) == parts
    padded = base64.urlsafe_b64encode(json.dumps(parts[:2]).encode()).decode()
    assert cursor_decode(padded, 2) == parts[:2]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


@pytest.mark.parametrize(
    "raw",
    [
        _b64(b"[" * 1000 + b"]" * 1000),  # was a RecursionError
        _b64(b"[" * 100),
        _b64(b'{"a": 1}'),
        _b64(b"[1, 2, 3]"),
        _b64(b'["\xff"]'),  # not UTF-8
        _b64(b'["\\ud800", "a", "b"]'),  # a lone surrogate
        _b64(b"1e999"),
        _b64(b'["a", "b"]'),  # wrong arity
        "a",  # impossible base64 length
        "!!!",
        "====",
        "٣①",
        "A" * (CURSOR_MAX_LENGTH + 1),
    ],
)
def test_cursor_decode_refuses_anything_else_without_raising(raw: str) -> None:
    assert cursor_decode(raw, 3) is None
