"""Measure the configured enricher chain on labelled CSVs (``make eval``)."""

from __future__ import annotations

import logging
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.enrichment.chain import enrichers_configured
from lucro.enrichment.evaluation import (
    ChainScores,
    Line,
    Tally,
    Taxonomy,
    chain_score,
    learning_curve,
    lines_read,
)
from lucro.enrichment.model import model_current

# The labelled sets live beside default_rules.csv, in enrichment/data/.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEFAULT_CSVS = [
    DATA_DIR / "eval_statements_2.csv",
    DATA_DIR / "eval_statements.csv",
    DATA_DIR / "eval_holdout.csv",
    DATA_DIR / "eval_labelled.csv",
]
ROLES = {
    "eval_statements_2.csv": "HELD OUT, blind: statement lines never used for tuning",
    "eval_statements.csv": (
        "development set: scored blind once (75.3 % primary), then used to find what fails"
    ),
    "eval_holdout.csv": "held out: never used for tuning (seen once by an earlier rules revision)",
    "eval_labelled.csv": "TUNING set: the rules and the model's choices were tuned on it",
}


class Command(BaseCommand):
    help = (
        "Run the ENRICHERS chain over labelled CSVs (description,merchant,amount,category"
        "[,market]) and print primary- and detailed-level accuracy, coverage and precision, "
        "and the learning curve (accuracy on the rest of a set after 10 % and 20 % of its "
        "lines are corrected)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="*", help="Labelled CSVs (default: the shipped sets).")
        parser.add_argument(
            "--misses", type=int, default=0, help="Also print up to this many wrong lines."
        )
        parser.add_argument(
            "--no-curve", action="store_true", help="Skip the learning curve (no database writes)."
        )
        parser.add_argument(
            "--curve",
            default="0.1,0.2",
            help="Shares of a set corrected for the learning curve (default 0.1,0.2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(p) for p in options["csv"]] or [p for p in DEFAULT_CSVS if p.exists()]
        fractions = [] if options["no_curve"] else _fractions(options["curve"])
        taxonomy = Taxonomy.load()
        model = model_current()
        out = self.stdout.write
        chain = ", ".join(type(e).__name__ for e in enrichers_configured())
        out(f"Enrichers: {chain}")
        out(f"Model: {model.version if model else 'none (no model file)'}")
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path} does not exist")
            try:
                lines = lines_read(path)
            except (InvalidOperation, KeyError, AttributeError) as exc:
                raise CommandError(f"{path}: not a labelled CSV ({exc})") from exc
            if not lines:
                raise CommandError(f"{path} has no rows")
            unknown = sorted({line.category for line in lines} - set(taxonomy.primary))
            if unknown:
                raise CommandError(f"{path}: unknown categories {', '.join(unknown)}")
            out("")
            out(f"== {path.name}: {len(lines)} lines — {ROLES.get(path.name, 'labelled set')}")
            scores = chain_score(lines, taxonomy)
            self._report(scores)
            for fraction in fractions:
                # The pipeline's per-task log lines would bury the figures.
                logging.disable(logging.INFO)
                try:
                    point = learning_curve(lines, fraction, taxonomy, scores.predicted)
                finally:
                    logging.disable(logging.NOTSET)
                out(
                    f"  learning curve: {point.fraction:.0%} corrected ({point.corrected} lines) "
                    f"→ primary accuracy on the other {point.rest}: {point.after:.1%} "
                    f"(before: {point.before:.1%})"
                )
            if options["misses"]:
                self._misses(lines, scores, taxonomy, options["misses"])

    def _report(self, scores: ChainScores) -> None:
        out = self.stdout.write
        t = scores.total
        out(
            f"  primary:  accuracy {t.share(t.primary):6.1%}   coverage {t.share(t.covered):6.1%}"
            f"   precision {t.share(t.primary, t.covered):6.1%}"
        )
        out(
            f"  detailed: accuracy {t.share(t.detailed):6.1%}   coverage {t.share(t.covered):6.1%}"
            f"   precision {t.share(t.detailed, t.covered):6.1%}"
        )
        out("  " + _breakdown("answered by", scores.by_source, t.lines))
        if len(scores.by_market) > 1:
            out("  " + _breakdown("by market (primary accuracy)", scores.by_market, None))

    def _misses(
        self, lines: list[Line], scores: ChainScores, taxonomy: Taxonomy, limit: int
    ) -> None:
        out = self.stdout.write
        out("  misses (label ← predicted):")
        shown = 0
        for line, predicted, source in zip(lines, scores.predicted, scores.sources, strict=True):
            if taxonomy.primary.get(predicted or "") != taxonomy.primary[line.category]:
                out(f"    [{source}]")
                out(
                    f"    {line.description!r} / {line.merchant!r} {line.amount}: "
                    f"{line.category} ← {predicted}"
                )
                shown += 1
                if shown >= limit:
                    break


def _breakdown(title: str, tallies: dict[str, Tally], total: int | None) -> str:
    parts = []
    for name, tally in sorted(tallies.items(), key=lambda kv: -kv[1].lines):
        if total is not None:
            parts.append(
                f"{name} {tally.lines / total:.0%} (primary precision "
                f"{tally.share(tally.primary, tally.covered):.0%})"
                if tally.covered
                else f"{name} {tally.lines / total:.0%}"
            )
        else:
            parts.append(f"{name} {tally.share(tally.primary):.0%} of {tally.lines}")
    return f"{title}: " + ", ".join(parts)


def _fractions(raw: str) -> list[float]:
    try:
        fractions = [float(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--curve takes shares like 0.1,0.2, not {raw!r}") from exc
    if any(not 0 < f < 1 for f in fractions):
        raise CommandError("--curve shares must be between 0 and 1")
    return fractions
