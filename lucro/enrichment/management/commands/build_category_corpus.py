"""Write the generated training corpus to a CSV (``manage.py build_category_corpus``)."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from lucro.enrichment.corpus import corpus_lines

COLUMNS = ("description", "merchant", "amount", "category", "kind")


class Command(BaseCommand):
    help = (
        "Generate the labelled statement-line corpus (NSI brands, services, bank and "
        "wallet idioms, local merchants) and write it as "
        "description,merchant,amount,category,kind; print counts per category and kind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            default=str(Path(settings.VAR_DIR) / "corpus.csv"),
            help="Where to write the CSV (default: corpus.csv in LUCRO_VAR_DIR, var/).",
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        lines = corpus_lines(seed=options["seed"])
        elapsed = time.perf_counter() - started
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for line in lines:
                writer.writerow(
                    (line.description, line.merchant or "", line.amount, line.category, line.kind)
                )
        write = self.stdout.write
        write(f"{len(lines)} lines generated in {elapsed:.1f} s, written to {out}")
        write("\nPer kind:")
        for kind, count in sorted(Counter(line.kind for line in lines).items()):
            write(f"  {count:7d}  {kind}")
        write("\nPer category:")
        for category, count in sorted(Counter(line.category for line in lines).items()):
            write(f"  {count:7d}  {category}")
