"""Enrichers for tests. ``SwitchableEnricher`` raises while the file named by
``LUCRO_TEST_ENRICHER_SWITCH`` says ``raise`` — a worker subprocess reads the same file, so a
test can break and mend the chain of a running worker."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lucro.enrichment.chain import Answer, Row


class SwitchableEnricher:
    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]:
        switch = os.environ.get("LUCRO_TEST_ENRICHER_SWITCH")
        if switch and Path(switch).exists() and Path(switch).read_text().strip() == "raise":
            raise RuntimeError("enricher unavailable (test)")
        return [None] * len(rows)


class ModelLikeEnricher:
    """Answers every row whose merchant is ``Acme`` with no category, as a model would."""

    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]:
        return [
            Answer(category_id=None, confidence=0.42, source="model", model_version="t1")
            if r.merchant_name == "Acme"
            else None
            for r in rows
        ]


class InProcessSwitchableEnricher(SwitchableEnricher):
    """The same, declared in-process: it runs in the fast (lock-only) path."""

    in_process = True
