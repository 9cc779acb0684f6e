"""Recovery does not wait for the work queue: the sweeper has a queue and a consumer of its own.

Real processes on the suite's broker (Redis in CI, the filesystem transport on the embedded
default): one work worker kept busy for minutes by a slow batch, a housekeeping worker
started the way ``make run`` and compose start it, and ``celery beat`` sending the sweeps.
Rows left ``processing`` by a "killed" worker must be back to ``pending`` within
``ENRICH_VISIBILITY_TIMEOUT`` + one sweep interval. With the sweeper on the work queue they
wait for the backlog (seen: 126 s instead of ≈ 25 s; sweeps expired in the queue).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from lucro.enrichment import tasks
from lucro.enrichment.tasks import enrich_batch
from lucro.enrichment.tests.test_workers import CELERY, ROOT, Workers, ingest, wait_for
from lucro.ingestion.models import Transaction

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.timeout(240),
]

VISIBILITY = 2  # seconds: ENRICH_VISIBILITY_TIMEOUT of every process in the test
INTERVAL = 1.0  # seconds: ENRICH_SWEEP_INTERVAL
# Scheduling on a loaded 2-core machine: beat's tick, the broker round trip, the sweep's
# own queries. The old single-queue setup misses the bound by minutes, not seconds.
SLACK = 4.0
TIMINGS = {"ENRICH_VISIBILITY_TIMEOUT": str(VISIBILITY), "ENRICH_SWEEP_INTERVAL": str(INTERVAL)}
# 6 000 rows at 20 ms each: two minutes of work for one worker, in 300 chunks of ≈ 0.4 s
# (well inside the visibility timeout, so the busy worker's own claims are never swept).
BACKLOG_ROWS = 6_000
SWEEP_STARTED = "task=lucro.enrichment.sweep"  # the task_started line (lucro.ops.signals)
SLOW = {"ENRICH_CHUNK_SIZE": "20", "ENRICH_SIMULATED_LATENCY": "0.02"}


def _queue_purge(name: str) -> None:
    """Drop what the test left in a queue of its own (thousands of chunk tasks)."""
    from kombu import Exchange, Queue

    from config.celery import app

    with app.connection_for_write() as conn:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)(conn)
        queue.declare()
        queue.purge()
        queue.delete()


@pytest.fixture
def work_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"

    def send(batch_id: uuid.UUID | str) -> None:
        enrich_batch.apply_async((str(batch_id),), queue=name)

    monkeypatch.setattr(tasks, "_send_batch", send)
    try:
        yield name
    finally:
        for queue in (name, f"{name}.housekeeping"):
            _queue_purge(queue)


def _beat(queue: str, log_dir: Path) -> subprocess.Popen[bytes]:
    log = (log_dir / "beat.log").open("wb")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lucro.enrichment.tests.worker_settings",
        "LUCRO_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "LUCRO_TEST_QUEUE": queue,
        "LOG_LEVEL": "INFO",
        **TIMINGS,
    }
    return subprocess.Popen(
        [CELERY, "-A", "config", "beat", "-l", "INFO", "-s", str(log_dir / "schedule")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_stuck_rows_are_swept_within_one_interval_while_the_work_queue_is_backlogged(
    api: Any, work_queue: str, tmp_path: Path
) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "housekeeping").mkdir()
    work = Workers(work_queue, tmp_path / "work")
    # The housekeeping consumer, as compose's `housekeeping` service runs it: -Q the
    # housekeeping queue; its own work queue (where the sweep re-queues batches) is the test's.
    housekeeping = Workers(f"{work_queue}.housekeeping", tmp_path / "housekeeping")
    beat: subprocess.Popen[bytes] | None = None
    try:
        work.start(1, **TIMINGS, **SLOW)
        backlog = ingest(api.organization, BACKLOG_ROWS)
        backlog_rows = Transaction.objects.filter(batch_id=backlog)
        wait_for(
            lambda: backlog_rows.filter(ingestion_status="completed").exists(),
            90,
            "the work worker to start on the backlog",
            work,
        )
        housekeeping.start(1, LUCRO_TEST_QUEUE=work_queue, **TIMINGS)
        beat = _beat(work_queue, tmp_path)
        wait_for(lambda: "ready" in housekeeping.log(0), 60, "the housekeeping worker")
        wait_for(
            lambda: "Starting" in (tmp_path / "beat.log").read_text(errors="replace"),
            60,
            "beat",
        )

        # A worker killed mid-chunk: its rows stay `processing` under its claim.
        stuck_batch = ingest(api.organization, 3, account_id="acc_stuck", start=900_000)
        stuck = Transaction.objects.filter(batch_id=stuck_batch)
        claimed = stuck.update(ingestion_status="processing", claimed_at=timezone.now(), attempts=1)
        assert claimed == 3
        started = time.monotonic()

        bound = VISIBILITY + INTERVAL + SLACK
        wait_for(
            lambda: not stuck.filter(ingestion_status="processing").exists(),
            bound,
            f"the stuck rows to be swept within {bound:g}s",
            housekeeping,
        )
        elapsed = time.monotonic() - started
        pending_backlog = backlog_rows.filter(ingestion_status="pending").count()

        assert set(stuck.values_list("ingestion_status", "attempts")) == {("pending", 1)}
        # Not yet stale at VISIBILITY: the sweep ran on schedule, not early.
        assert elapsed >= VISIBILITY - 0.5, elapsed
        # …and the work queue still held most of its minutes of work meanwhile.
        assert pending_backlog > BACKLOG_ROWS // 2, pending_backlog
        assert SWEEP_STARTED in housekeeping.log(0)
        assert SWEEP_STARTED not in work.log(0)
        print(f"stuck rows swept after {elapsed:.2f}s; backlog pending: {pending_backlog}")
    finally:
        if beat is not None and beat.poll() is None:
            os.killpg(beat.pid, signal.SIGTERM)
            beat.wait(timeout=15)
        housekeeping.stop_all()
        work.stop_all()
