"""Hostile page sizes, cursors and dates on the enrichment endpoints are 400 problems."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from lucro.testing import ApiClient

RULES = "/api/v1/rules/"


def _pointers(response) -> list[str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


@pytest.mark.parametrize("limit", ["²", "①", "٣", "５０", "-1", "501", " 5", "9" * 30])
def test_rules_list_limit_is_ascii_digits_in_range(api: ApiClient, limit: str) -> None:
    # "²".isdigit() is True and int("²") a ValueError: a 500 before.
    assert _pointers(api.get(RULES, limit=limit)) == ["/limit"]


def _cursor(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(b"[" * 1000 + b"]" * 1000),  # was a RecursionError
        _cursor(b"[" * 50),
        _cursor(json.dumps(["9999-12-31T23:59:59-14:00", str(uuid.uuid4())]).encode()),
        _cursor(json.dumps(["0001-01-01T00:00:00+14:00", str(uuid.uuid4())]).encode()),
        _cursor(b'["\\ud800", "x"]'),
        _cursor(b"\xff\xfe"),
        "a",
        "٣",
    ],
)
def test_rules_list_hostile_cursor_is_a_400(api: ApiClient, cursor: str) -> None:
    assert _pointers(api.get(RULES, cursor=cursor)) == ["/cursor"]


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("9999-12-31", "between 1900-01-01 and 2100-12-31"),
        ("0001-01-01", "between 1900-01-01 and 2100-12-31"),
        ("20250505", "YYYY-MM-DD"),
        ("2025-1-5", "YYYY-MM-DD"),
        (20250505, "YYYY-MM-DD"),
    ],
)
def test_rerun_dates_are_bounded_like_query_dates(api: ApiClient, value, detail: str) -> None:
    response = api.post("/api/v1/categorisation/rerun/", {"start_date": value})
    assert _pointers(response) == ["/start_date"]
    assert detail in response.json()["errors"][0]["detail"]
