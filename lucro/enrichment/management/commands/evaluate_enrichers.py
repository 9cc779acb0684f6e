"""Measure the configured enricher chain on a labelled CSV (``make eval``)."""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.enrichment.chain import Row, chain_run, enrichers_configured
from lucro.taxonomy.models import Category

# The labelled sets live beside default_rules.csv, in enrichment/data/.
DEFAULT_CSV = Path(__file__).resolve().parents[2] / "data" / "eval_labelled.csv"


class Command(BaseCommand):
    help = (
        "Run the ENRICHERS chain in memory over a labelled CSV "
        "(description,merchant,amount,category) and print accuracy, coverage and a "
        "per-category table. Only global rules apply (a scratch organization)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
        parser.add_argument(
            "--misses",
            type=int,
            default=0,
            help="Also print up to this many wrongly categorised lines.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        organization = uuid.uuid4()
        rows: list[Row] = []
        labels: list[str] = []
        with path.open(newline="", encoding="utf-8") as handle:
            for line, record in enumerate(csv.DictReader(handle), start=2):
                try:
                    amount = Decimal(record["amount"].strip())
                except (InvalidOperation, AttributeError) as exc:
                    raise CommandError(f"line {line}: bad amount {record['amount']!r}") from exc
                rows.append(
                    Row(
                        uuid.uuid4(),
                        organization,
                        record["description"] or None,
                        record["merchant"] or None,
                        amount,
                    )
                )
                labels.append(record["category"].strip())
        if not rows:
            raise CommandError(f"{path} has no rows")

        slugs = dict(Category.objects.values_list("id", "slug"))
        answers = chain_run(rows, enrichers_configured(), simulate_latency=False)
        predicted = [slugs.get(a.category_id) if a.category_id else None for a in answers]

        total = len(rows)
        covered = sum(p is not None for p in predicted)
        correct = sum(p == label for p, label in zip(predicted, labels, strict=True))
        support, guesses = Counter(labels), Counter(predicted)
        hits: Counter[str] = Counter()
        for p, label in zip(predicted, labels, strict=True):
            if p == label:
                hits[label] += 1

        out = self.stdout.write
        out(f"Evaluated {total} labelled lines from {path}")
        out(f"Enrichers: {', '.join(type(e).__name__ for e in enrichers_configured())}")
        out(f"Accuracy:  {correct / total:6.1%}  ({correct}/{total} correct)")
        out(f"Coverage:  {covered / total:6.1%}  ({covered}/{total} categorised)")
        out(f"Precision: {correct / covered if covered else 0:6.1%}  (correct among categorised)")
        out("")
        width = max(len(s) for s in support)
        out(f"{'category'.ljust(width)}  support  predicted  correct  recall  precision")
        for slug in sorted(support, key=lambda s: (-support[s], s)):
            recall = hits[slug] / support[slug]
            precision = hits[slug] / guesses[slug] if guesses[slug] else 0.0
            out(
                f"{slug.ljust(width)}  {support[slug]:7d}  {guesses[slug]:9d}  "
                f"{hits[slug]:7d}  {recall:6.0%}  {precision:9.0%}"
            )
        misses = options["misses"]
        if misses:
            out("")
            out("Misses (label ← predicted):")
            shown = 0
            for row, p, label in zip(rows, predicted, labels, strict=True):
                if p != label and shown < misses:
                    out(
                        f"  {row.description!r} / {row.merchant_name!r} {row.amount}: {label} ← {p}"
                    )
                    shown += 1
