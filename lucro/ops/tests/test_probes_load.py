"""Probes answer on time while a real gunicorn is saturated with ingestion (loopback only).

200 parallel clients post batches to the API port of ``gunicorn -c gunicorn.conf.py`` (its
default 2 workers × 4 threads) for a bounded time; meanwhile a prober opens a fresh
connection per probe, as an orchestrator does, to the probe port (GUNICORN_PROBE_BIND) and,
for comparison, to the API port, each probe on a thread of its own. Each figure is printed (``-s``).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from lucro.ops.tests.conftest import free_port, start_gunicorn, stop, wait_http
from lucro.testing import make_client

CLIENTS = 200
LOAD_SECONDS = 8.0
ROWS = 50
# Measured ≈ 15 ms p95 on the probe port (and ≈ 3 s on the API port) on the 2-core
# machine; the bound leaves room for a machine shared with other test runs.
PROBE_P95_BOUND = 0.5


BUSY = "503 with Retry-After"


def _answer(response: http.client.HTTPResponse) -> int | str:
    if response.status == 503 and response.getheader("Retry-After"):
        return BUSY
    return response.status


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _batch(tag: str) -> bytes:
    account = f"acc_{tag}"
    return json.dumps(
        {
            "accounts": [{"account_id": account, "name": "Load", "type": "depository"}],
            "transactions": [
                {
                    "transaction_id": f"tx_{tag}_{i}",
                    "account_id": account,
                    "amount": "-1.25",
                    "iso_currency_code": "USD",
                    "date": "2025-10-01",
                    "name": f"SHOP {i}",
                }
                for i in range(ROWS)
            ],
        }
    ).encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_probe_port_answers_within_bounds_under_200_ingestion_clients(tmp_path: Path) -> None:
    from kombu import Exchange, Queue

    from config.celery import app

    api_key = make_client("Org Load").key
    port, probe_port = free_port(), free_port()
    queue = f"test-load-{uuid.uuid4().hex[:8]}"  # no worker: enrichment waits, then purged
    proc = start_gunicorn(
        tmp_path,
        port,
        GUNICORN_PROBE_BIND=f"127.0.0.1:{probe_port}",
        WEB_CONCURRENCY="2",
        CELERY_QUEUE=queue,
        LOG_LEVEL="WARNING",
        # The load is one key's: its per-minute limit (1 200) would answer 429 on a fast
        # run, and this measures the probes under ingestion, not the limiter.
        RATE_LIMIT_PER_MINUTE="1000000",
    )
    ingest_status: list[int | str] = []
    probes: dict[tuple[int, str], list[tuple[float, int | str]]] = {
        (p, path): [] for p in (probe_port, port) for path in ("/api/live/", "/api/health/")
    }
    try:
        wait_http(f"http://127.0.0.1:{probe_port}/api/live/", proc)
        wait_http(f"http://127.0.0.1:{port}/api/live/", proc)
        stop_at = time.monotonic() + LOAD_SECONDS

        def ingest(index: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            sent = 0
            while time.monotonic() < stop_at:
                sent += 1
                try:
                    conn.request(
                        "POST",
                        "/api/v1/integrations/transactions/",
                        _batch(f"{index}_{sent}"),
                        {"Authorization": f"Token {api_key}", "Content-Type": "application/json"},
                    )
                    response = conn.getresponse()
                    response.read()
                    ingest_status.append(_answer(response))
                except OSError as exc:
                    ingest_status.append(type(exc).__name__)
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.close()

        def prober(target: int, path: str) -> None:
            samples = probes[(target, path)]
            time.sleep(2.0)  # every client has sent its first request: the queue is full
            while time.monotonic() < stop_at - 0.5:
                started = time.monotonic()
                conn = http.client.HTTPConnection("127.0.0.1", target, timeout=30)
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    samples.append((time.monotonic() - started, response.status))
                except OSError as exc:
                    samples.append((time.monotonic() - started, type(exc).__name__))
                finally:
                    conn.close()
                time.sleep(0.1)

        threads = [threading.Thread(target=ingest, args=(i,)) for i in range(CLIENTS)]
        threads += [threading.Thread(target=prober, args=key) for key in probes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop(proc)
        with app.connection_for_write() as conn:
            leftover = Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(conn)
            leftover.declare()
            leftover.purge()
            leftover.delete()

    figures = {
        f"{'probe' if target == probe_port else 'api'} port {path}": (
            _p95([s for s, _ in samples]),
            len(samples),
        )
        for (target, path), samples in probes.items()
    }
    for name, (p95, count) in figures.items():
        print(f"{name}: p95 {p95 * 1000:.0f} ms over {count} probes")
    print(f"ingestion: {len(ingest_status)} requests from {CLIENTS} clients")

    answers = set(ingest_status)
    if connection.vendor == "sqlite":
        # One writer at a time: a batch that waited out the busy timeout (30 s) behind the
        # queue of 200 writers gets the documented transient answer, 503 with Retry-After
        # (seen in CI with both suites running). Nothing else passes: no 500, no 503
        # without Retry-After, no dropped connection; and most batches are stored.
        answers.discard(BUSY)
        assert ingest_status.count(202) >= len(ingest_status) // 2, ingest_status
    assert ingest_status and answers == {202}, set(ingest_status)
    for path in ("/api/live/", "/api/health/"):
        samples = probes[(probe_port, path)]
        assert len(samples) >= 10, samples
        assert {status for _, status in samples} == {200}, samples
        p95, _ = figures[f"probe port {path}"]
        assert p95 < PROBE_P95_BOUND, f"{path} on the probe port: p95 {p95:.3f}s"


@pytest.mark.django_db
def test_probe_listener_serves_the_probes_only(settings: Any) -> None:
    from lucro.ops.probes import probe_server_start, probe_socket

    server = probe_server_start(probe_socket("127.0.0.1:0"))
    port = server.socket.getsockname()[1]

    def get(path: str) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    try:
        assert get("/api/live/") == (200, {"status": "ok"})
        status, body = get("/api/health/")
        assert (status, body["status"]) == (200, "ok"), body
        assert get("/api/v1/rules/")[0] == 404
        assert get("/metrics")[0] == 404
        settings.HEALTH_CACHE_SECONDS = 0
        settings.HEALTH_CHECK_TIMEOUT = 1.0
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
        status, body = get("/api/health/")
        assert status == 503
        assert body["checks"]["broker"].startswith("error")
    finally:
        server.shutdown()
        server.server_close()
