"""Enrichment tasks: thin entry points that take ids and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="lucro.enrichment.enrich_batch", acks_late=True)
def enrich_batch(batch_id: str) -> None:
    """Enrich a batch's pending transactions (placeholder until the enrichment chain lands)."""
    return None
