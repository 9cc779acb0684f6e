"""Shared helpers of the enrichment tests."""

from __future__ import annotations

import uuid
from typing import Any

from lucro.enrichment import services
from lucro.enrichment.models import Rule
from lucro.ingestion.models import Transaction
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_batch


def ingest(api: ApiClient, n: int, **kwargs: Any) -> uuid.UUID:
    """Ingest ``n`` transactions through the API; return the batch id."""
    response = api.post("/api/v1/integrations/transactions/", make_batch(n, **kwargs))
    assert response.status_code == 202, response.content
    return uuid.UUID(response.json()["batch_id"])


def category(slug: str) -> Category:
    return Category.objects.get(slug=slug)


def add_rule(pattern: str, slug: str, **kwargs: Any) -> Rule:
    return services.rule_create(
        organization=kwargs.pop("organization", None),
        category=category(slug),
        pattern=pattern,
        **kwargs,
    )


def drain(batch_id: uuid.UUID, limit: int = 100) -> None:
    """Run chunk processing in-process until the batch has nothing pending."""
    for _ in range(limit):
        if not services.chunk_process(batch_id=batch_id).claimed:
            return
    raise AssertionError("batch did not drain")


def statuses(batch_id: uuid.UUID) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in Transaction.objects.filter(batch_id=batch_id).values_list(
        "ingestion_status", flat=True
    ):
        out[status] = out.get(status, 0) + 1
    return out
