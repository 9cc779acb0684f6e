"""The categoriser chain: enrichers named by dotted path in ``settings.ENRICHERS``.

An enricher is any class with ``enrich(rows) -> list[Answer | None]`` (one entry per row, in
order; ``None`` passes). The first enricher that answers a row wins; a row nobody answers is
completed uncategorised (source ``none``). Adding an enricher — a learned model, an external
API — is a settings change: the worker only ever talks to this module.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from functools import cache
from typing import Protocol

import msgspec
from django.conf import settings
from django.utils.module_loading import import_string

from lucro.enrichment.normalise import statement_text
from lucro.ingestion.store import Answer, Row

# What an enricher sees of a row and answers are the owner's types (it claims the rows and
# stores the answers): re-exported here, where enrichers look for them.
__all__ = ["NO_ANSWER", "Answer", "Enricher", "Row", "chain_run", "enrichers_configured"]


class Enricher(Protocol):
    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]: ...


NO_ANSWER = Answer(category_id=None, confidence=0.0, source="none")


@cache
def _load(paths: tuple[str, ...]) -> tuple[Enricher, ...]:
    # One instance per process and configuration: enrichers may hold compiled state.
    return tuple(import_string(path)() for path in paths)


def enrichers_configured() -> tuple[Enricher, ...]:
    """Return the enricher instances named by ``settings.ENRICHERS``, in order."""
    return _load(tuple(settings.ENRICHERS))


def _simulate_latency(count: int) -> None:
    span = settings.ENRICH_SIMULATED_LATENCY
    if span is not None and count:
        low, high = span
        # The assignment's slow external call, once per transaction.
        time.sleep(sum(random.uniform(low, high) for _ in range(count)))


def statement_rows(rows: Sequence[Row]) -> Sequence[Row]:
    """Return the rows as the enrichers read them: each description normalised.

    A notification's accounting (balances, fees, transaction ids) is dropped
    (``normalise.statement_text``); the stored row keeps the original.
    """
    out: list[Row] | None = None
    for index, row in enumerate(rows):
        text = statement_text(row.description)
        if text is not row.description:
            if out is None:
                out = list(rows)
            out[index] = msgspec.structs.replace(row, description=text)
    return rows if out is None else out


def chain_run(
    rows: Sequence[Row],
    enrichers: Sequence[Enricher] | None = None,
    *,
    simulate_latency: bool = True,
) -> list[Answer]:
    """Run the chain over ``rows``; return one answer per row (``NO_ANSWER`` if none)."""
    if simulate_latency:
        _simulate_latency(len(rows))
    rows = statement_rows(rows)
    answers: list[Answer | None] = [None] * len(rows)
    todo = list(range(len(rows)))
    for enricher in enrichers if enrichers is not None else enrichers_configured():
        if not todo:
            break
        verdicts = enricher.enrich([rows[i] for i in todo])
        if len(verdicts) != len(todo):
            raise RuntimeError(
                f"{type(enricher).__name__} answered {len(verdicts)} rows of {len(todo)}"
            )
        still = []
        for index, verdict in zip(todo, verdicts, strict=True):
            if verdict is None:
                still.append(index)
            else:
                answers[index] = verdict
        todo = still
    return [a if a is not None else NO_ANSWER for a in answers]
