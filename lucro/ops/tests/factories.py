"""Test data for the admin tests: a batch with some failed transactions."""

from __future__ import annotations

import json

from lucro.ingestion.models import Batch, IngestionStatus, Transaction
from lucro.ingestion.services import batch_ingest
from lucro.tenancy.services import organization_get_or_create
from lucro.testing import make_batch


def failed_batch(org_name: str = "Org Admin", n: int = 4, failed: int = 2) -> Batch:
    """Ingest ``n`` transactions and mark ``failed`` of them failed, as the pipeline would."""
    organization = organization_get_or_create(name=org_name)
    result = batch_ingest(
        organization=organization,
        body=json.dumps(make_batch(n)).encode(),
        api_key=None,
        idempotency_key=None,
    )
    batch = Batch.objects.get(pk=result.batch_id)
    rows = Transaction.objects.filter(batch=batch).order_by("transaction_id")
    ids = list(rows.values_list("pk", flat=True)[:failed])
    Transaction.objects.filter(pk__in=ids).update(
        ingestion_status=IngestionStatus.FAILED, failure_reason="TimeoutError", attempts=3
    )
    Transaction.objects.filter(batch=batch).exclude(pk__in=ids).update(
        ingestion_status=IngestionStatus.COMPLETED
    )
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.FAILED)
    batch.refresh_from_db()
    return batch
