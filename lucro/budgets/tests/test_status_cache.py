"""A budget's status is cached (``lucro.budgets.cache``) and never served stale: each
change it depends on — a chunk written back, a manual category, a delete, a restore, a
rate upload, a budget edit or delete — shows in the next read; a hit reads no budget,
account, transaction or rate; another organization never gets one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lucro.budgets.tests.helpers import settle, upload
from lucro.ingestion.models import Transaction
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_member

OCT = dt.date(2025, 10, 1)
D = lambda n: OCT + dt.timedelta(days=n - 1)  # noqa: E731  (1 → 1 October)
READ_TABLES = ("budgets_budget", "ingestion_", "reports_", "fx_")


@pytest.fixture
def owner(db: None) -> ApiClient:
    return make_member("Org status cache", "owner")[0]


def _spent(api: ApiClient, url: str) -> Decimal:
    response = api.get(url, date="2025-10-20")
    assert response.status_code == 200, response.content
    return Decimal(response.json()["spent"])


def test_a_cached_status_follows_every_change_it_reads(
    owner: ApiClient, categories: dict[str, Category], commit: Callable[[], Any]
) -> None:
    org = owner.organization
    coffee, other = categories["coffee"], categories["other"]
    upload(org, D(1), "USD", "KES", "100")  # 1 KES = 0.01 USD
    with commit():
        settle(
            org,
            [
                ("u1", "acc_usd", "-40.00", D(3), coffee),
                ("u2", "acc_usd", "-5.00", D(4), coffee),
                ("k1", "acc_kes", "-1000.00", D(5), coffee),  # 10.00 USD
            ],
        )
        created = owner.post(
            "/api/v1/budgets/",
            {"name": "Coffee", "amount": "100.00", "category": coffee.slug,
             "starts_on": "2025-10-01"},
        )  # fmt: skip
    assert created.status_code == 201, created.content
    url = f"/api/v1/budgets/{created.json()['id']}/status/"
    first = owner.get(url, date="2025-10-20").json()
    assert Decimal(first["spent"]) == Decimal("55.00")

    # A hit: the same answer, and none of the tables a status reads is read.
    with CaptureQueriesContext(connection) as queries:
        again = owner.get(url, date="2025-10-20").json()
    read = [q["sql"] for q in queries.captured_queries]
    assert again == first
    assert not [sql for sql in read if any(table in sql for table in READ_TABLES)], read
    # Another day is another key: its projection differs.
    assert owner.get(url, date="2025-10-10").json()["projected"] != first["projected"]

    with commit():  # a chunk written back, as a worker does
        settle(org, [("u3", "acc_usd", "-20.00", D(6), coffee)])
    assert _spent(owner, url) == Decimal("75.00")

    u1 = Transaction.objects.get(organization=org, transaction_id="u1").pk
    with commit():  # a manual category moves 40.00 out of the budget
        moved = owner.patch(f"/api/v1/transactions/{u1}/", {"category": other.slug})
        assert moved.status_code == 200, moved.content
    assert _spent(owner, url) == Decimal("35.00")

    u2 = Transaction.objects.get(organization=org, transaction_id="u2").pk
    with commit():
        assert owner.delete(f"/api/v1/transactions/{u2}/").status_code in (200, 204)
    assert _spent(owner, url) == Decimal("30.00")
    with commit():
        assert owner.post(f"/api/v1/transactions/{u2}/restore/").status_code == 200
    assert _spent(owner, url) == Decimal("35.00")

    with commit():  # a rate upload: 1 KES = 0.02 USD from the 2nd
        response = owner.post(
            "/api/v1/exchange-rates/",
            {"rates": [{"base": "USD", "quote": "KES", "rate": "50", "date": "2025-10-02"}]},
        )
        assert response.status_code == 200, response.content
    assert _spent(owner, url) == Decimal("45.00")

    with commit():  # a budget edit
        assert owner.patch(url.removesuffix("status/"), {"amount": "50.00"}).status_code == 200
    assert owner.get(url, date="2025-10-20").json()["percent"] == 90.0

    # Another organization asking for the same budget gets what a missing one gets.
    stranger = make_member("Org status cache B", "owner")[0]
    assert stranger.get(url, date="2025-10-20").status_code == 404

    with commit():
        assert owner.delete(url.removesuffix("status/")).status_code == 204
    assert owner.get(url, date="2025-10-20").status_code == 404


def test_a_status_for_a_malformed_or_missing_id_is_404_and_caches_nothing(
    owner: ApiClient,
) -> None:
    assert owner.get("/api/v1/budgets/not-a-uuid/status/").status_code == 404
    missing = "/api/v1/budgets/00000000-0000-4000-8000-000000000000/status/"
    assert owner.get(missing).status_code == 404
    assert owner.get(missing).status_code == 404
