"""Train the learned enricher's model (``make model``) and save it where workers load it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lucro.enrichment.model import model_forget, model_path, model_save
from lucro.enrichment.training import C_GRID, model_train


class Command(BaseCommand):
    help = (
        "Build the training corpus (deterministic), tune C, the confidence temperature and the "
        "abstention threshold on the tuning data (eval_labelled.csv, eval_statements.csv) with a "
        "corpus-only model, fit the final model on corpus + tuning data, and save it with skops. "
        "The held-out sets are never read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="Where to save the model (default: CATEGORY_MODEL_PATH).")
        parser.add_argument("--seed", type=int, default=2026, help="The corpus generator's seed.")
        parser.add_argument(
            "--c",
            type=float,
            action="append",
            help=f"Candidate inverse regularisation (repeatable; default: {C_GRID}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout.write
        model, report = model_train(seed=options["seed"], c_grid=tuple(options["c"] or C_GRID))
        path = Path(options["out"]) if options["out"] else model_path()
        model_save(model, path)
        model_forget()
        out(f"Corpus: {report.corpus_lines} lines; tuning data: {report.tuning_lines} lines")
        for c, s in report.tuning.items():
            out(
                f"  C={c:g}: tuning-data detailed accuracy {s.accuracy:.1%}, log loss "
                f"{s.log_loss:.3f}, calibration error {s.calibration_error:.3f}"
            )
        choices = report.choices
        out(
            f"Chose C={choices['C']:g}, temperature {choices['temperature']:.2f}, "
            f"min confidence {choices['min_confidence']:.2f}"
        )
        size = path.stat().st_size / 1e6
        out(f"Saved {model.version} to {path} ({size:.1f} MB) in {report.seconds:.0f} s")
