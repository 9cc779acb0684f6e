"""Shared helpers of the enrichment tests."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from lucro.enrichment import services, training
from lucro.enrichment.model import CategoryModel, line_document, model_save
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


LINES = [
    ("POS PURCHASE KWIKBUTCHERY SOWETO", "food-and-drink-groceries"),
    ("POS PURCHASE BUTCHERY MAMA NJERI", "food-and-drink-groceries"),
    ("CARD PURCHASE FAMILY BUTCHERY", "food-and-drink-groceries"),
    ("POS PURCHASE CORNER PHARMACY", "medical-pharmacies-and-supplements"),
    ("CARD PURCHASE PHARMACY DIRECT", "medical-pharmacies-and-supplements"),
    ("POS PURCHASE CITY PHARMACY", "medical-pharmacies-and-supplements"),
    ("POS PURCHASE TAVERN ON MAIN", "food-and-drink-beer-wine-and-liquor"),
    ("CARD PURCHASE TAVERN KASI", "food-and-drink-beer-wine-and-liquor"),
    ("POS PURCHASE THE TAVERN", "food-and-drink-beer-wine-and-liquor"),
]


def tiny_model(tmp_path: Path, *, min_confidence: float = 0.0) -> Path:
    """Train a model on nine lines (under a second) and save it; return its path."""
    docs = [line_document(text, None, False) for text, _ in LINES] * 2
    labels = [label for _, label in LINES] * 2
    fitted = training.fit(docs, labels, c=10.0)
    path = tmp_path / "tiny.skops"
    model_save(
        CategoryModel.from_pipeline(
            fitted.pipeline,
            version="tiny-1",
            min_confidence=min_confidence,
            temperature=1.0,
            metadata={},
        ),
        path,
    )
    return path
