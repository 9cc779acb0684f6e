"""Re-runs for real: simultaneous requests on separate connections, real `celery worker`s.

Committed data (transactional tests), workers on a queue of their own; waits are bounded.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from lucro.enrichment import services
from lucro.enrichment.tests.test_rerun import rollups
from lucro.enrichment.tests.test_workers import Workers, settled, wait_for
from lucro.ingestion.models import Account, Batch, Transaction
from lucro.ingestion.services import batch_ingest
from lucro.reports import rollups as rollup_triggers
from lucro.reports.models import DailyRollup
from lucro.testing import ApiClient, make_batch

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.timeout(240),
]
RERUN = "/api/v1/categorisation/rerun/"
RULE_SLUG = "general-merchandise-online-marketplaces"


def ingest(organization: Any, n: int, **kwargs: Any) -> uuid.UUID:
    body = json.dumps(make_batch(n, **kwargs)).encode()
    return batch_ingest(
        organization=organization, body=body, api_key=None, idempotency_key=None
    ).batch_id


def job_finished(job: str) -> bool:
    return Batch.objects.get(pk=job).status in ("completed", "failed")


def test_simultaneous_identical_reruns_start_exactly_one(api: ApiClient) -> None:
    """The overlap check and the job's creation are one step under concurrent requests."""
    ingest(api.organization, 1)
    rounds = 8  # each on its own month, so that one round's job does not block the next
    results: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(rounds)]

    def send(index: int, barrier: threading.Barrier) -> None:
        body = {"start_date": f"2025-{index + 1:02d}-01", "end_date": f"2025-{index + 1:02d}-28"}
        client = ApiClient(api.organization, api.key)  # a client (and connection) per thread
        try:
            barrier.wait(timeout=30)
            response = client.post(RERUN, body)
            results[index].append((response.status_code, response.json()))
        finally:
            connection.close()

    for index in range(rounds):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=send, args=(index, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    for outcome in results:
        assert sorted(status for status, _ in outcome) == [202, 409], outcome
        accepted = next(body for status, body in outcome if status == 202)
        refused = next(body for status, body in outcome if status == 409)
        assert refused["batch_id"] == accepted["batch_id"]
    assert Batch.objects.filter(kind="rerun").count() == rounds


def test_workers_drain_a_rerun_in_chunks_end_to_end(api: ApiClient, workers: Workers) -> None:
    workers.start(2, RERUN_CHUNK_SIZE="400", ENRICH_CHUNK_SIZE="300")
    first = ingest(api.organization, 1_500, name="ZZRERUNWORK", merchant_name=None)
    second = ingest(
        api.organization, 700, name="ZZRERUNWORK", merchant_name=None, account_id="acc_2"
    )
    wait_for(lambda: settled(first) and settled(second), 120, "the ingests", workers)
    manual = Transaction.objects.get(batch_id=first, transaction_id="tx_7")
    coffee = {"category": "food-and-drink-coffee"}
    response = api.patch(f"/api/v1/transactions/{manual.pk}/", coffee)
    assert response.status_code == 200, response.content
    response = api.post("/api/v1/rules/", {"category": RULE_SLUG, "pattern": "zzrerunwork"})
    assert response.status_code == 201, response.content

    response = api.post(RERUN, {})
    assert response.status_code == 202, response.content
    job = response.json()["batch_id"]
    wait_for(lambda: job_finished(job), 150, "the re-run", workers)

    job_row = Batch.objects.get(pk=job)
    assert (job_row.status, job_row.total_transactions) == ("completed", 2_199)
    rows = Transaction.objects.filter(batch_id=job)
    assert set(
        rows.values_list("ingestion_status", "category__slug", "category_source", "attempts")
    ) == {("completed", RULE_SLUG, "rule", 1)}
    assert rows.count() == 2_199
    manual.refresh_from_db()
    assert (manual.batch_id, manual.category_source, manual.category.slug) == (
        first,
        "manual",
        "food-and-drink-coffee",
    )
    chunks = sum(workers.log(i).count("rerun_chunk_selected") for i in range(2))
    assert chunks >= 6, "the selection was not chunked"  # 2 199 rows, 400 a chunk
    kept = rollups()
    rollup_triggers.rebuild(connection)
    assert rollups() == kept


@pytest.mark.skipif(
    not django_settings.IS_POSTGRES,
    reason="needs row locks to stop a worker mid-chunk (SQLite has none)",
)
def test_worker_killed_mid_chunk_rolls_it_back_and_the_sweeper_resumes_the_job(
    api: ApiClient, workers: Workers, settings: Any
) -> None:
    [victim] = workers.start(1, RERUN_CHUNK_SIZE="300")
    batch = ingest(api.organization, 1_000, name="ZZRERUNKILL", merchant_name=None)
    wait_for(lambda: settled(batch), 60, "the ingest", workers)
    before = set(Transaction.objects.values_list("id", "batch_id", "ingestion_status"))
    locked, release = threading.Event(), threading.Event()

    def hold_rollups() -> None:
        # On a connection of its own: the first chunk's UPDATE then waits in the rollup
        # trigger, with its rows moved but not committed, until the worker is killed.
        try:
            with transaction.atomic():
                accounts = Account.objects.filter(organization=api.organization).values("pk")
                list(DailyRollup.objects.select_for_update().filter(account_id__in=accounts))
                locked.set()
                release.wait(timeout=120)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_rollups)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        response = api.post(RERUN, {})
        assert response.status_code == 202, response.content
        job = response.json()["batch_id"]
        deadline = time.monotonic() + 60
        while (pid := _waiting_backend()) is None:
            assert time.monotonic() < deadline, workers.log(0)[-3000:]
            time.sleep(0.1)
        workers.kill(victim, signal.SIGKILL)
    finally:
        release.set()
        holder.join(timeout=30)
    # The dead worker's backend only notices its client is gone once the lock is granted.
    wait_for(lambda: _backend_gone(pid), 30, "the killed worker's backend to end")

    # Rolled back whole: no row moved, no progress recorded.
    assert set(Transaction.objects.values_list("id", "batch_id", "ingestion_status")) == before
    job_row = Batch.objects.get(pk=job)
    assert (job_row.status, job_row.selection_cursor, job_row.total_transactions) == (
        "pending",
        None,
        None,
    )

    response = api.post("/api/v1/rules/", {"category": RULE_SLUG, "pattern": "zzrerunkill"})
    assert response.status_code == 201, response.content
    workers.start(1, RERUN_CHUNK_SIZE="300")
    later = timezone.now() + timezone.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT + 1)
    assert services.sweep(now=later).requeued_reruns == 1  # its message died with the worker
    wait_for(lambda: job_finished(job), 90, "the resumed re-run", workers)

    job_row.refresh_from_db()
    assert (job_row.status, job_row.total_transactions) == ("completed", 1_000)
    rows = Transaction.objects.filter(batch_id=job)
    assert rows.count() == 1_000
    assert set(rows.values_list("ingestion_status", "category__slug", "attempts")) == {
        ("completed", RULE_SLUG, 1)
    }
    kept = rollups()
    rollup_triggers.rebuild(connection)
    assert rollups() == kept


def _waiting_backend() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is None
