"""Fixtures of the report tests: real ingestion, worker-like write-backs, fresh caches."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.db.models import Case, F, Value, When

# Real workers on a queue of the test's own (test_soft_delete_workers.py).
from lucro.enrichment.tests.conftest import workers  # noqa: F401
from lucro.ingestion.models import Account, CategorySource, Transaction
from lucro.ingestion.services import batch_ingest
from lucro.reports.cache import accounts_touched
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization
from lucro.testing import ApiClient


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingestion queues enrichment on commit; these tests play the worker themselves."""
    monkeypatch.setattr("lucro.enrichment.tasks._send_batch", lambda batch_id: None)


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Return a context manager that runs on-commit callbacks (cache bumps) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def ingest(
    organization: Organization,
    transactions: list[dict[str, Any]],
    account_id: str = "acc_1",
    currency: str = "USD",
) -> None:
    body = {
        "accounts": [{"account_id": account_id, "name": "Checking", "type": "depository"}],
        "transactions": [
            {"account_id": account_id, "iso_currency_code": currency, **t} for t in transactions
        ],
    }
    batch_ingest(
        organization=organization,
        body=json.dumps(body).encode(),
        api_key=None,
        idempotency_key=None,
    )


def write_back(
    pks: Iterable[Any], *, status: str = "completed", category: Category | None = None
) -> None:
    """Write results back the way a worker does: one bulk UPDATE; manual rows keep theirs."""
    pks = list(pks)
    manual = When(category_source=CategorySource.MANUAL, then=F("category_id"))
    Transaction.objects.filter(pk__in=pks).update(
        ingestion_status=status,
        category_id=Case(manual, default=Value(category.pk if category else None)),
        category_source=Case(
            When(category_source=CategorySource.MANUAL, then=Value(CategorySource.MANUAL)),
            default=Value(CategorySource.RULE if category else CategorySource.NONE),
        ),
    )
    accounts_touched(
        Transaction.objects.filter(pk__in=pks).values_list("account_id", flat=True).distinct()
    )


@pytest.fixture
def categories(db: None) -> dict[str, Category]:
    """Two detailed categories under one primary, one under another, and a primary."""
    by_slug = {c.slug: c for c in Category.objects.select_related("parent")}
    coffee = next(c for c in by_slug.values() if c.parent and "coffee" in c.slug)
    sibling = next(
        c for c in by_slug.values() if c.parent_id == coffee.parent_id and c.pk != coffee.pk
    )
    other = next(c for c in by_slug.values() if c.parent and c.parent_id != coffee.parent_id)
    primary = next(
        c
        for c in by_slug.values()
        if c.parent is None and c.pk not in (coffee.parent_id, other.parent_id)
    )
    return {"coffee": coffee, "sibling": sibling, "other": other, "primary": primary}


def account_of(api: ApiClient, account_id: str = "acc_1") -> Account:
    return Account.objects.get(organization=api.organization, account_id=account_id)
