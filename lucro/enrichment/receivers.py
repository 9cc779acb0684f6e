"""What enrichment does when the lifecycle owner announces a change (connected in
``EnrichmentConfig.ready()``): queue the work the change created, learn from a correction."""

from __future__ import annotations

import uuid
from typing import Any

from lucro.enrichment import memory, services


def batch_ready_enqueue(
    *, batch_id: uuid.UUID, rows: int | None, new: bool = False, **_: Any
) -> None:
    """Queue a batch's pending rows: a fan-out, or exactly the chunks ``rows`` rows need."""
    if rows is None:
        # A new batch's received_at is its dispatch record (the sweeper counts a batch
        # received within the visibility timeout as young): writing one more row would
        # cost every ingest request a commit, ≈ 1 ms of a 1 000-row request's 20 (measured).
        services.batch_enqueue(batch_id=batch_id, record=not new)
    else:
        services.chunks_enqueue(batch_id=batch_id, rows=rows)


def rerun_selecting_enqueue(*, batch_id: uuid.UUID, **_: Any) -> None:
    """Queue a re-run's next selection chunk."""
    services.rerun_enqueue(batch_id=batch_id)


def transaction_categorised_remember(
    *,
    organization_id: uuid.UUID,
    category_id: uuid.UUID | None,
    description: str | None,
    merchant_name: str | None,
    money_in: bool,
    **_: Any,
) -> None:
    """Count a manual correction in its organization's merchant memory."""
    memory.memory_record(
        organization_id=organization_id,
        description=description,
        merchant_name=merchant_name,
        money_in=money_in,
        category_id=category_id,
    )
