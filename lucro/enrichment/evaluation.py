"""Measuring the categoriser chain on labelled statement lines (``make eval``).

Two measures per labelled set:

- **The chain** (``chain_score``): the configured ``ENRICHERS`` run in memory over every line,
  for a scratch organization (global rules and the shipped model only), scored at the
  primary and the detailed level: accuracy (right / all lines), coverage (categorised / all)
  and precision (right / categorised), with the share each enricher answered.
- **The learning curve** (``learning_curve``): how much better the rest of a set gets once
  an organization has corrected some of its lines, through the product's own path. In a
  scratch organization, the corrected share is ingested (``batch_ingest``) and enriched,
  each of its lines is given its label by ``transaction_category_set`` (the service behind
  ``PATCH /api/v1/transactions/<id>/``, which teaches the organization's merchant memory),
  then the rest is ingested as new lines and enriched; its primary accuracy is compared with
  the chain's on the same lines before any correction. Tasks run in this process
  (``tasks_inline``); the scratch organization is deleted afterwards.
"""

from __future__ import annotations

import csv
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from lucro.enrichment.chain import Row, chain_run, enrichers_configured
from lucro.ingestion import services as ingestion_services
from lucro.ingestion import transitions
from lucro.ingestion.models import Transaction
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization


@dataclass(frozen=True)
class Line:
    description: str
    merchant: str | None
    amount: Decimal
    category: str
    market: str


def lines_read(path: Path) -> list[Line]:
    """Read a labelled CSV: ``description,merchant,amount,category[,market,…]``."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Line(
                record["description"],
                record["merchant"] or None,
                Decimal(record["amount"].strip()),
                record["category"].strip(),
                (record.get("market") or "").strip() or "-",
            )
            for record in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class Taxonomy:
    slugs: dict[uuid.UUID, str]
    primary: dict[str, str]  # detailed or primary slug → its primary slug

    @classmethod
    def load(cls) -> Taxonomy:
        categories = Category.objects.select_related("parent")
        slugs = {c.id: c.slug for c in categories}
        primary = {c.slug: c.parent.slug if c.parent else c.slug for c in categories}
        return cls(slugs, primary)


@dataclass
class Tally:
    lines: int = 0
    covered: int = 0
    primary: int = 0
    detailed: int = 0

    def add(self, predicted: str | None, label: str, taxonomy: Taxonomy) -> None:
        self.lines += 1
        if predicted is None:
            return
        self.covered += 1
        self.detailed += predicted == label
        self.primary += taxonomy.primary.get(predicted) == taxonomy.primary.get(label)

    def share(self, part: int, whole: int | None = None) -> float:
        whole = self.lines if whole is None else whole
        return part / whole if whole else 0.0


@dataclass
class ChainScores:
    total: Tally = field(default_factory=Tally)
    by_source: dict[str, Tally] = field(default_factory=dict)
    by_market: dict[str, Tally] = field(default_factory=dict)
    predicted: list[str | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def chain_score(lines: Sequence[Line], taxonomy: Taxonomy) -> ChainScores:
    organization = uuid.uuid4()
    rows = [
        Row(uuid.uuid4(), organization, line.description or None, line.merchant, line.amount)
        for line in lines
    ]
    answers = chain_run(rows, enrichers_configured(), simulate_latency=False)
    scores = ChainScores()
    for line, answer in zip(lines, answers, strict=True):
        predicted = taxonomy.slugs.get(answer.category_id) if answer.category_id else None
        scores.predicted.append(predicted)
        scores.sources.append(answer.source)
        scores.total.add(predicted, line.category, taxonomy)
        scores.by_source.setdefault(answer.source, Tally()).add(predicted, line.category, taxonomy)
        scores.by_market.setdefault(line.market, Tally()).add(predicted, line.category, taxonomy)
    return scores


@dataclass(frozen=True)
class CurvePoint:
    fraction: float
    corrected: int
    rest: int
    before: float  # primary accuracy on the rest, no corrections
    after: float  # primary accuracy on the rest, after the corrections


def _ingest(organization: Organization, lines: Sequence[tuple[int, Line]], tag: str) -> None:
    body = {
        "accounts": [{"account_id": "eval", "name": "Evaluation", "type": "depository"}],
        "transactions": [
            {
                "transaction_id": f"{tag}-{index}",
                "account_id": "eval",
                "amount": str(line.amount),
                "iso_currency_code": "USD",
                "date": "2026-01-15",
                "name": line.description or line.merchant or "-",
                "merchant_name": line.merchant,
            }
            for index, line in lines
        ],
    }
    ingestion_services.batch_ingest(
        organization=organization,
        body=json.dumps(body).encode(),
        api_key=None,
        idempotency_key=None,
    )


def learning_curve(
    lines: Sequence[Line], fraction: float, taxonomy: Taxonomy, before: Sequence[str | None]
) -> CurvePoint:
    """Correct ``fraction`` of the lines in a scratch organization; score the rest after."""
    from lucro.enrichment.tasks import tasks_inline

    order = list(range(len(lines)))
    random.Random(f"learning-curve-{len(lines)}").shuffle(order)
    count = round(len(lines) * fraction)
    taught, rest = order[:count], order[count:]
    categories = {c.slug: c for c in Category.objects.all()}
    organization = Organization.objects.create(name=f"eval-curve-{uuid.uuid4().hex[:8]}")
    try:
        with tasks_inline():
            _ingest(organization, [(i, lines[i]) for i in taught], "taught")
            pks = dict(
                Transaction.objects.filter(organization=organization).values_list(
                    "transaction_id", "pk"
                )
            )
            for i in taught:
                transitions.transaction_category_set(
                    organization=organization,
                    transaction_pk=pks[f"taught-{i}"],
                    category=categories[lines[i].category],
                )
            _ingest(organization, [(i, lines[i]) for i in rest], "rest")
        got = dict(
            Transaction.objects.filter(
                organization=organization, transaction_id__startswith="rest-"
            ).values_list("transaction_id", "category__slug")
        )
    finally:
        with transaction.atomic():
            Transaction.objects.filter(organization=organization).delete()
            organization.delete()
    after, was = Tally(), Tally()
    for i in rest:
        after.add(got.get(f"rest-{i}"), lines[i].category, taxonomy)
        was.add(before[i], lines[i].category, taxonomy)
    return CurvePoint(
        fraction, count, len(rest), was.share(was.primary), after.share(after.primary)
    )
