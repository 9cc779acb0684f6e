from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from lucro.core import crypto
from lucro.core.errors import NotFound
from lucro.ingestion.models import (
    Account,
    Batch,
    IngestionStatus,
    Transaction,
    batch_location,
)
from lucro.tenancy.models import Organization

# An account never moves to another organization, so which one holds it is remembered by
# the process: a worker's write-back events name no organization, and their receivers
# (reports' cache versions, budgets' evaluations) look each account up once, not once a
# chunk each (≈ 2 ms a query on the bench machine). Bounded: cleared when full.
_ORGANIZATION_OF: dict[uuid.UUID, uuid.UUID] = {}
_REMEMBERED = 100_000


def account_organizations(account_pks: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, uuid.UUID]:
    """Return the organization of each account (an unknown pk is left out)."""
    pks = {uuid.UUID(str(pk)) for pk in account_pks}
    missing = [pk for pk in pks if pk not in _ORGANIZATION_OF]
    if missing:
        if len(_ORGANIZATION_OF) + len(missing) > _REMEMBERED:
            _ORGANIZATION_OF.clear()
        _ORGANIZATION_OF.update(
            Account.objects.filter(pk__in=missing).values_list("pk", "organization_id")
        )
    return {pk: _ORGANIZATION_OF[pk] for pk in pks if pk in _ORGANIZATION_OF}


def parse_uuid(value: str, what: str) -> uuid.UUID:
    """Return ``value`` as a UUID; anything else is a missing ``what`` (404)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError) as exc:
        raise NotFound(f"No such {what}.") from exc


def batch_get(*, organization: Organization, batch_id: str) -> Batch:
    """Return the caller's batch; another tenant's batch is as missing as a made-up id."""
    batch = Batch.objects.filter(
        organization=organization, pk=parse_uuid(batch_id, "batch")
    ).first()
    if batch is None:
        raise NotFound("No such batch.")
    return batch


def batch_status_counts(*, batch: Batch) -> dict[str, int]:
    """Return how many of the batch's transactions are in each status (all four keys)."""
    counts = {status.value: 0 for status in IngestionStatus}
    rows = (
        Transaction.objects.filter(batch=batch)
        .values("ingestion_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["ingestion_status"]] = row["n"]
    return counts


def batch_detail(*, organization: Organization, batch_id: str) -> dict[str, Any]:
    """Return the status document of one batch."""
    return _batch_document(batch_get(organization=organization, batch_id=batch_id))


def batch_recent(*, organization: Organization, limit: int) -> list[dict[str, Any]]:
    """Return the status documents of the organization's ``limit`` newest batches."""
    batches = Batch.objects.filter(organization=organization).order_by("-received_at")
    return [_batch_document(batch) for batch in batches[:limit]]


def batch_document(*, batch_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, Any]] | None:
    """Return a batch's organization id and status document, or None if it is gone.

    For the apps above that hear of a batch by its id alone (``events.batch_finished``)
    and tell its organization about it (webhooks).
    """
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        return None
    return batch.organization_id, _batch_document(batch)


def _batch_document(batch: Batch) -> dict[str, Any]:
    counts = batch_status_counts(batch=batch)
    return {
        "batch_id": str(batch.id),
        "kind": batch.kind,
        # The stored status, which the owner's transitions keep (the admin, the sweeper and
        # the metrics read the same field).
        "status": batch.status,
        "request_id": batch.request_id,
        "total_transactions": batch.total_transactions,
        "created": batch.created_count,
        "updated": batch.updated_count,
        "unchanged": batch.unchanged_count,
        "deleted": batch.deleted_count,
        "counts": counts,
        "received_at": batch.received_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "scope": batch.scope,
        "links": {"self": batch_location(batch.id)},
    }


def accounts_under_old_keys() -> int:
    """Return how many account numbers are stored under a key other than the primary."""
    return (
        Account.objects.filter(account_number_encrypted__isnull=False)
        .exclude(account_number_key=crypto.primary_key_id())
        .count()
    )
