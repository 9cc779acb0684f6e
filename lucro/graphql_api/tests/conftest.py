"""Fixtures of the GraphQL tests: a small real world ingested the way REST tests make it."""

from __future__ import annotations

from typing import Any

import pytest

from lucro.ingestion.models import Transaction
from lucro.reports.tests.conftest import (  # noqa: F401 (fixtures)
    _no_enqueue,
    categories,
    ingest,
    write_back,
)
from lucro.testing import ApiClient

URL = "/api/v1/graphql/"


def gql(
    client: ApiClient, query: str, variables: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST one GraphQL request; return the status and the JSON body."""
    response = client.post(URL, {"query": query, "variables": variables or {}})
    return response.status_code, response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@pytest.fixture
def world(api: ApiClient, categories: Any) -> list[Any]:  # noqa: F811
    """Organization A: 30 transactions over two accounts, some categorised, some failed."""
    rows = [
        {
            "transaction_id": f"t{i}",
            "amount": f"{'-' if i % 3 else ''}{i + 1}.50",
            "date": f"2025-10-{(i % 9) + 1:02d}",
            "name": f"Shop {i}",
            "merchant_name": "Starbucks" if i % 4 == 0 else "Uber",
        }
        for i in range(30)
    ]
    ingest(api.organization, rows[:20], account_id="acc_1")
    ingest(api.organization, rows[20:], account_id="acc_2")
    pks = list(Transaction.objects.order_by("transaction_id").values_list("pk", flat=True))
    write_back(pks[:10], category=categories["coffee"])
    write_back(pks[10:14], category=categories["other"])
    write_back(pks[14:16], status="failed")
    return pks
