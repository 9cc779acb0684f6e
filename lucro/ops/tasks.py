"""Housekeeping tasks of the platform as a whole (beat-scheduled, on the housekeeping queue)."""

from __future__ import annotations

from celery import shared_task

from lucro.fx import services as fx_services
from lucro.ingestion import transitions


@shared_task(name="lucro.ops.purge_deleted")
def purge_deleted() -> int:
    """Delete for good the accounts and transactions deleted past their retention."""
    result = transitions.deleted_purge()
    return result.transactions + result.accounts


@shared_task(name="lucro.ops.fetch_exchange_rates")
def fetch_exchange_rates() -> int:
    """Fetch the daily reference rates from FX_SOURCE_URL (beat, only when it is set)."""
    return fx_services.rates_fetch()
