"""One keyset paginator: every list pages the same way and refuses bad input the same way."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import pytest
from django.db.models import Q

from lucro.core.errors import ValidationFailed
from lucro.core.openapi import LIMIT_PARAM
from lucro.core.pagination import (
    BY_CREATION,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MIN_LIMIT,
    Key,
    Keyset,
)
from lucro.core.params import cursor_encode
from lucro.testing import ApiClient

LISTS = ["/api/v1/rules/", "/api/v1/transactions/"]
# Base64url of JSON that is not a flat array of strings, and a well-formed cursor of keys
# that do not decode (a timestamp past the accepted range).
NESTED = base64.urlsafe_b64encode(b"[" * 60).decode()
UNDECODABLE = cursor_encode(["2025-01-01", "9999-12-31T23:59:59-14:00", str(uuid.uuid4())])


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("limit", ["0", str(MAX_LIMIT + 1), "abc", "-1", "²"])
def test_every_list_refuses_a_bad_limit_with_one_problem(api: ApiClient, limit: str) -> None:
    rules, transactions = (_problem(api.get(path, limit=limit)) for path in LISTS)
    assert rules == transactions
    assert rules["errors"] == [
        {"pointer": "/limit", "detail": f"limit must be an integer from 1 to {MAX_LIMIT}."}
    ]


@pytest.mark.parametrize("cursor", ["garbage", "!!!", NESTED, UNDECODABLE])
def test_every_list_refuses_a_bad_cursor_with_one_problem(api: ApiClient, cursor: str) -> None:
    rules, transactions = (_problem(api.get(path, cursor=cursor)) for path in LISTS)
    assert rules == transactions
    assert rules["detail"] == "The cursor is not one this API returned."
    assert rules["errors"] == [
        {"pointer": "/cursor", "detail": "Use the next link of a previous page."}
    ]


@pytest.mark.parametrize("path", LISTS)
def test_an_empty_limit_or_cursor_is_not_sent(api: ApiClient, path: str) -> None:
    # The schema says so (allowEmptyValue); the rules list used to answer ?limit= with a 400.
    assert api.get(path, limit="", cursor="").status_code == 200


def test_the_schema_documents_the_paginator_bounds() -> None:
    schema = LIMIT_PARAM.type
    assert (schema["minimum"], schema["maximum"], schema["default"]) == (
        MIN_LIMIT,
        MAX_LIMIT,
        DEFAULT_LIMIT,
    )


def test_a_bad_limit_joins_the_lists_own_errors() -> None:
    own = [{"pointer": "/status", "detail": "status must be one of a, b."}]
    with pytest.raises(ValidationFailed) as caught:
        BY_CREATION.page_params({"limit": "0", "cursor": "garbage"}, own)
    # The cursor is checked only once the rest is valid: one problem, two pointers.
    assert [e["pointer"] for e in caught.value.errors] == ["/status", "/limit"]
    assert (
        caught.value.detail == f"{own[0]['detail']} limit must be an integer from 1 to {MAX_LIMIT}."
    )


def test_a_cursor_round_trips_through_its_keys() -> None:
    keyset = Keyset(Key.date("date"), Key.datetime("created_at"), Key.uuid("id"))
    row = type(
        "Row",
        (),
        {
            # A stored date before the input bound (1900) must still page.
            "date": dt.date(1899, 12, 31),
            "created_at": dt.datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
            "id": uuid.UUID(int=7),
        },
    )()
    cursor = keyset._encode(row)
    params = keyset.page_params({"cursor": cursor})
    assert params.after == (row.date, row.created_at, row.id)
    assert params.limit == DEFAULT_LIMIT


def test_the_keyset_filter_is_a_strict_after_in_key_order() -> None:
    keyset = Keyset(Key.date("date"), Key.uuid("id"), descending=True)
    after = keyset._after((dt.date(2025, 1, 1), uuid.UUID(int=1)))
    expected = Q(date__lt=dt.date(2025, 1, 1)) | Q(
        date=dt.date(2025, 1, 1), id__lt=uuid.UUID(int=1)
    )
    assert after == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "where",
    [
        {},
        {"amount__gte": 5, "description__icontains": "x"},
        # The first part's value is among the filter's parameters too: Django's own union.
        {"account_id__in": [uuid.UUID(int=1), uuid.UUID(int=9)]},
    ],
)
def test_a_merged_page_s_union_is_the_one_django_writes(where: dict[str, Any]) -> None:
    from django.db import connection

    from lucro.ingestion.models import Transaction

    if not connection.features.supports_slicing_ordering_in_compound:
        pytest.skip("no LIMIT in a union's parts here: the page reads the parts with IN")
    keyset = Keyset(Key.date("date"), Key.uuid("id"), descending=True)
    rows = Transaction.objects.filter(**where).order_by("-date", "-id").values("date", "id")
    values = [uuid.UUID(int=i) for i in (1, 2, 3)]
    heads = [rows.filter(account_id=value)[:11] for value in values]
    django = heads[0].union(*heads[1:], all=True).query.sql_with_params()
    assert keyset._union(rows, "account_id", values, 11) == django
