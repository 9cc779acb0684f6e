"""Housekeeping tasks of the platform as a whole (beat-scheduled, on the housekeeping queue)."""

from __future__ import annotations

from celery import shared_task

from lucro.ingestion import transitions


@shared_task(name="lucro.ops.purge_deleted")
def purge_deleted() -> int:
    """Delete for good the accounts and transactions deleted past their retention."""
    result = transitions.deleted_purge()
    return result.transactions + result.accounts
