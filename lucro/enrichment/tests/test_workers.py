"""Real broker, real `celery worker` processes (no eager mode).

Each test starts workers on a queue of its own, against the test database, on whatever
broker the suite runs with (Redis in CI, the embedded transport by default), and always
kills them. Waits are bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from lucro.enrichment import services, tasks
from lucro.ingestion.models import Batch, Transaction
from lucro.ingestion.services import batch_ingest
from lucro.testing import ApiClient, make_batch

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.timeout(240),
]
ROOT = Path(__file__).resolve().parents[3]
CELERY = str(Path(sys.executable).parent / "celery")


class Workers:
    """Start and stop worker subprocesses consuming one test queue."""

    def __init__(self, queue: str, log_dir: Path) -> None:
        self.queue = queue
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, count: int = 1, *, queue: str | None = None, **env: str
    ) -> list[subprocess.Popen[bytes]]:
        """Start ``count`` workers on the test queue (``queue``: on one derived from it, such
        as ``<test queue>.webhooks``, with the same settings)."""
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lucro.enrichment.tests.worker_settings",
            "LUCRO_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "LUCRO_TEST_QUEUE": self.queue,
            "LOG_LEVEL": "INFO",
            **env,
        }
        started = []
        for _ in range(count):
            index = len(self.procs)
            log = (self.log_dir / f"worker{index}.log").open("wb")
            proc = subprocess.Popen(
                [
                    CELERY,
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    "1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-Q",
                    queue or self.queue,
                    "-n",
                    f"w{index}-{self.queue}@%h",
                    "-l",
                    "INFO",
                ],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.procs.append(proc)
            started.append(proc)
        return started

    def log(self, index: int) -> str:
        return (self.log_dir / f"worker{index}.log").read_text(errors="replace")

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, workers: Workers | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    logs = (
        ""
        if workers is None
        else "\n".join(workers.log(i)[-3000:] for i in range(len(workers.procs)))
    )
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def settled(batch_id: uuid.UUID) -> bool:
    """No row of the batch is in flight, and the batch is marked finished: the worker marks
    it after the last chunk's commit and its on-commit receivers, a moment later (a test
    that read the status as soon as the rows settled saw "processing" on a slow machine)."""
    return (
        not Transaction.objects.filter(
            batch_id=batch_id, ingestion_status__in=["pending", "processing"]
        ).exists()
        and Batch.objects.filter(pk=batch_id, status__in=["completed", "failed"]).exists()
    )


def ingest(organization: Any, n: int, **kwargs: Any) -> uuid.UUID:
    body = json.dumps(make_batch(n, **kwargs)).encode()
    return batch_ingest(
        organization=organization, body=body, api_key=None, idempotency_key=None
    ).batch_id


def test_four_workers_share_a_20k_batch_and_process_every_row_once(
    api: ApiClient, workers: Workers, settings: Any
) -> None:
    settings.INGEST_MAX_TRANSACTIONS = 20_000
    workers.start(4, ENRICH_CHUNK_SIZE="500")
    batch_id = ingest(api.organization, 20_000)
    wait_for(lambda: settled(batch_id), 180, "the 20k batch", workers)

    rows = Transaction.objects.filter(batch_id=batch_id)
    assert rows.count() == 20_000
    # attempts counts claims: 1 everywhere means no row was ever claimed twice.
    assert set(rows.values_list("ingestion_status", "attempts").distinct()) == {("completed", 1)}
    assert Batch.objects.get(pk=batch_id).status == "completed"
    busy = [i for i in range(4) if "chunk_enriched" in workers.log(i)]
    assert len(busy) >= 2, "the batch was not shared between workers"


def test_worker_killed_mid_chunk_loses_and_duplicates_nothing(
    api: ApiClient, workers: Workers, settings: Any
) -> None:
    slow = {"ENRICH_CHUNK_SIZE": "200", "ENRICH_SIMULATED_LATENCY": "0.005"}  # ≈1 s a chunk
    [victim] = workers.start(1, **slow)
    batch_id = ingest(api.organization, 1_000)
    processing = Transaction.objects.filter(batch_id=batch_id, ingestion_status="processing")
    wait_for(processing.exists, 60, "a claimed chunk", workers)
    workers.kill(victim, signal.SIGKILL)
    held = set(processing.values_list("id", flat=True))
    assert held

    workers.start(1, ENRICH_CHUNK_SIZE="200")
    # The rows the dead worker held stay processing until the sweeper runs.
    wait_for(
        lambda: (
            not Transaction.objects.filter(batch_id=batch_id, ingestion_status="pending").exists()
        ),
        60,
        "the surviving chunks",
        workers,
    )
    assert set(processing.values_list("id", flat=True)) == held
    later = timezone.now() + timezone.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT + 1)
    result = services.sweep(now=later)
    assert result.returned == len(held)
    wait_for(lambda: settled(batch_id), 60, "the swept rows", workers)

    rows = Transaction.objects.filter(batch_id=batch_id)
    assert rows.count() == 1_000
    assert set(rows.values_list("ingestion_status", flat=True)) == {"completed"}
    assert set(rows.filter(id__in=held).values_list("attempts", flat=True)) == {2}
    assert set(rows.exclude(id__in=held).values_list("attempts", flat=True)) == {1}
    assert Batch.objects.get(pk=batch_id).status == "completed"


def test_rule_added_through_the_api_applies_in_a_running_worker(
    api: ApiClient, workers: Workers
) -> None:
    workers.start(1, MODEL_MIN_CONFIDENCE="1.01")  # only a rule categorises ZZFRESHRULE
    first = ingest(api.organization, 5, name="ZZFRESHRULE 1", merchant_name=None)
    wait_for(lambda: settled(first), 60, "the first batch", workers)
    assert set(
        Transaction.objects.filter(batch_id=first).values_list("category_id", flat=True)
    ) == {None}

    response = api.post(
        "/api/v1/rules/", {"category": "food-and-drink-coffee", "pattern": "zzfreshrule"}
    )
    assert response.status_code == 201, response.content
    second = ingest(api.organization, 5, start=100, name="ZZFRESHRULE 2", merchant_name=None)
    wait_for(lambda: settled(second), 60, "the second batch", workers)
    rows = Transaction.objects.filter(batch_id=second).select_related("category")
    assert {(r.category.slug, str(r.category_rule_id)) for r in rows} == {
        ("food-and-drink-coffee", response.json()["id"])
    }


def test_raising_enricher_retries_fails_then_retry_endpoint_completes(
    api: ApiClient, workers: Workers, tmp_path: Path
) -> None:
    switch = tmp_path / "switch"
    switch.write_text("raise")
    workers.start(
        1,
        ENRICHERS="lucro.enrichment.tests.enrichers.SwitchableEnricher,"
        "lucro.enrichment.enrichers.RuleEnricher",
        LUCRO_TEST_ENRICHER_SWITCH=str(switch),
        ENRICH_MAX_ATTEMPTS="3",
        ENRICH_RETRY_BACKOFF="1.5",
    )
    batch_id = ingest(api.organization, 10)
    wait_for(lambda: settled(batch_id), 90, "the failing batch", workers)
    rows = Transaction.objects.filter(batch_id=batch_id)
    assert set(rows.values_list("ingestion_status", "attempts").distinct()) == {("failed", 3)}
    assert "enricher unavailable" in rows.first().failure_reason
    detail = api.get(f"/api/v1/batches/{batch_id}/").json()
    assert (detail["status"], detail["counts"]["failed"]) == ("failed", 10)

    switch.write_text("ok")
    response = api.post(f"/api/v1/batches/{batch_id}/retry/")
    assert (response.status_code, response.json()["requeued"]) == (202, 10)
    wait_for(lambda: settled(batch_id), 60, "the retried batch", workers)
    assert set(rows.values_list("ingestion_status", "failure_reason").distinct()) == {
        ("completed", None)
    }
    assert Batch.objects.get(pk=batch_id).status == "completed"


AMQP_URL = os.environ.get("LUCRO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _amqp_reachable() -> bool:
    from kombu import Connection

    try:
        with Connection(AMQP_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def test_workers_on_rabbitmq_share_a_batch(
    api: ApiClient, workers: Workers, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RabbitMQ must work as well as Redis: the same workers, an ``amqp://`` broker."""
    from kombu import Connection, Exchange, Queue

    from config.celery import app

    if not _amqp_reachable():
        if os.environ.get("LUCRO_REQUIRE_AMQP"):
            pytest.fail(f"RabbitMQ is required (LUCRO_REQUIRE_AMQP) but {AMQP_URL} is down")
        pytest.skip(f"no RabbitMQ at {AMQP_URL} (CI starts one and sets LUCRO_REQUIRE_AMQP)")
    settings.INGEST_MAX_TRANSACTIONS = 6_000
    with Connection(AMQP_URL) as amqp:

        def send(batch_id: uuid.UUID | str) -> None:
            app.send_task(
                "lucro.enrichment.enrich_batch",
                (str(batch_id),),
                queue=workers.queue,
                connection=amqp,
            )

        monkeypatch.setattr(tasks, "_send_batch", send)
        workers.start(2, CELERY_BROKER_URL=AMQP_URL, ENRICH_CHUNK_SIZE="500")
        try:
            batch_id = ingest(api.organization, 6_000)
            wait_for(lambda: settled(batch_id), 120, "the batch on RabbitMQ", workers)
            rows = Transaction.objects.filter(batch_id=batch_id)
            assert set(rows.values_list("ingestion_status", "attempts").distinct()) == {
                ("completed", 1)
            }
            assert Batch.objects.get(pk=batch_id).status == "completed"
            assert "amqp://" in workers.log(0)
        finally:
            workers.stop_all()
            name = workers.queue
            Queue(name, Exchange(name, type="direct"), routing_key=name)(amqp).delete()
