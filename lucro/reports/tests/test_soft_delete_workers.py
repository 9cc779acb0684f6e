"""Deletes and restores racing real `celery worker`s: the reports stay exact.

A person deletes and restores rows while two workers are still writing their categories
back; whichever commits first, the rollups must end equal to a rebuild from the raw rows,
and the summary equal to a plain sum of the rows that are not deleted.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from lucro.enrichment.tests.test_rerun import rollups
from lucro.enrichment.tests.test_workers import Workers, settled, wait_for
from lucro.ingestion.models import Transaction
from lucro.ingestion.services import batch_ingest
from lucro.reports import rollups as rollup_triggers
from lucro.testing import ApiClient, make_batch

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.timeout(240),
]


def _ingest(organization: Any, n: int) -> uuid.UUID:
    body = json.dumps(make_batch(n)).encode()
    return batch_ingest(
        organization=organization, body=body, api_key=None, idempotency_key=None
    ).batch_id


def test_deletes_and_restores_while_workers_write_back_keep_reports_exact(
    api: ApiClient, workers: Workers
) -> None:
    writer = ApiClient(api.organization, api.key)
    batch = _ingest(api.organization, 4_000)
    rows = Transaction.objects.filter(batch_id=batch)
    ids = list(rows.order_by("transaction_id").values_list("pk", flat=True))
    # Slowed to ≈ 0.4 s a chunk (the simulated external call), so that the deletes below
    # surely land while chunks are claimed, written back and still to come.
    workers.start(2, ENRICH_CHUNK_SIZE="250", ENRICH_SIMULATED_LATENCY="0.001-0.002")
    # Start once the first chunks are written back, while most rows are still to come.
    wait_for(lambda: rows.filter(ingestion_status="completed").exists(), 90, "a chunk", workers)
    # Spread over the batch: some rows done already, some not yet. Last rows first: they
    # are still to come when the first delete lands however slow the requests are (on a
    # loaded machine the workers could otherwise finish before the deletes reach them).
    doomed = ids[::40][::-1]
    back = doomed[::3]
    seen = set()
    for pk in doomed:
        seen.add(Transaction.objects.get(pk=pk).ingestion_status)
        assert writer.delete(f"/api/v1/transactions/{pk}/").status_code == 204
    for pk in back:
        assert writer.post(f"/api/v1/transactions/{pk}/restore/", {}).status_code == 200
    wait_for(lambda: settled(batch), 150, "the batch", workers)
    # The deletes did race the workers: some rows were written back before, some after.
    assert "completed" in seen and seen & {"pending", "processing"}, seen

    gone = set(doomed) - set(back)
    assert (
        set(Transaction.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True))
        == gone
    )
    kept = rollups()
    rollup_triggers.rebuild(connection)
    assert rollups() == kept

    live = Transaction.objects.filter(batch_id=batch, deleted_at__isnull=True)
    spend = sum((-t for t in live.values_list("amount", flat=True) if t < 0), Decimal(0))
    summary = api.get(
        "/api/v1/reports/accounts/acc_1/summary/", start_date="2025-10-01", end_date="2025-10-31"
    ).json()
    assert summary["metrics"]["total_transactions"] == len(ids) - len(gone)
    assert summary["metrics"]["total_spend"] == str(spend.quantize(Decimal("0.01")))
    assert summary["processing_status"]["completed"] == len(ids) - len(gone)
