"""/api/health/ under a burst of probes: one round of checks per TTL, kept connections."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from lucro.ops import health


def _counting(monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> Counter[str]:
    """Count every check invocation (and make each take ``delay`` seconds)."""
    calls: Counter[str] = Counter()
    lock = threading.Lock()
    for name, check in list(health.CHECKS.items()):

        def counted(name: str = name, check: Callable[[], str] = check) -> str:
            with lock:
                calls[name] += 1
            time.sleep(delay)
            return check()

        monkeypatch.setitem(health.CHECKS, name, counted)
    return calls


def _burst(count: int) -> list[tuple[int, dict[str, Any]]]:
    """``count`` concurrent GET /api/health/, released together; their answers."""
    barrier = threading.Barrier(count)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def probe() -> None:
        client = Client()
        barrier.wait(timeout=30)
        response = client.get("/api/health/")
        with lock:
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=probe) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.django_db
def test_200_concurrent_probes_cause_one_round_of_checks(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HEALTH_CACHE_SECONDS = 30  # the burst fits in one TTL however slow the machine
    calls = _counting(monkeypatch, delay=0.3)  # probes arrive while the round runs
    # One request first (liveness: no check) builds the process's middleware metrics, as a
    # server's worker does before it serves: 200 first requests at once raced to register
    # django-prometheus's metrics (DuplicateTimeseries in one thread, run alone).
    assert Client().get("/api/live/").status_code == 200
    answers = _burst(200)
    assert len(answers) == 200
    assert {status for status, _ in answers} == {200}, answers[0][1]  # the failed checks
    assert {body["status"] for _, body in answers} == {"ok"}
    assert calls == {"database": 1, "broker": 1, "cache": 1}

    settings.HEALTH_CACHE_SECONDS = 0.2
    time.sleep(0.3)  # the verdict is now older than its TTL
    assert Client().get("/api/health/").status_code == 200
    assert calls == {"database": 2, "broker": 2, "cache": 2}


@pytest.mark.django_db
def test_the_verdict_follows_a_dependency_after_the_ttl(settings: Any) -> None:
    settings.HEALTH_CACHE_SECONDS = 0.5
    settings.HEALTH_CHECK_TIMEOUT = 1.0
    client = Client()
    assert client.get("/api/health/").status_code == 200
    healthy_broker = settings.CELERY_BROKER_URL
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    # A broker that refuses: checked through a kept link on Redis/AMQP, the folders otherwise.
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    assert client.get("/api/health/").status_code == 200  # within the TTL: the last verdict
    time.sleep(0.6)
    down = client.get("/api/health/")
    assert down.status_code == 503
    assert down.json()["checks"]["broker"].startswith("error")
    assert down.json()["checks"]["database"] == "ok"

    settings.CELERY_BROKER_URL = healthy_broker
    time.sleep(0.6)
    assert client.get("/api/health/").status_code == 200


@pytest.mark.django_db
def test_checks_keep_their_connections_and_reconnect_after_one_dies(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HEALTH_CACHE_SECONDS = 0
    backends: list[int] = []
    check_database = health.CHECKS["database"]

    def database() -> str:
        result = check_database()
        if connection.vendor == "postgresql":  # the server process behind the connection
            backends.append(connections["default"].connection.info.backend_pid)
        return result

    monkeypatch.setitem(health.CHECKS, "database", database)
    client = Client()
    for _ in range(3):
        assert client.get("/api/health/").status_code == 200
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        link = health._broker.connection
        assert link is not None
        assert client.get("/api/health/").status_code == 200
        assert health._broker.connection is link, "the broker check opened a link per probe"
    if connection.vendor != "postgresql":
        return  # SQLite: a file opened per check (CONN_MAX_AGE 0), no server to spare
    assert len(set(backends)) == 1, "the database check opened a connection per probe"

    # The server drops the kept connection (a restart, an idle timeout): the next probe
    # reconnects, without a 503 in between.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backends[-1]])
    response = client.get("/api/health/")
    assert response.status_code == 200, response.json()
    assert backends[-1] != backends[0]


@pytest.mark.django_db
def test_a_probe_during_a_round_answers_with_the_previous_verdict_at_once(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HEALTH_CACHE_SECONDS = 0.2
    settings.HEALTH_CHECK_TIMEOUT = 5.0
    health.health_warm().join(timeout=30)  # what a server worker runs when it starts
    assert health._verdict is not None and health._verdict[1] is True
    first = health._verdict[0]
    calls = _counting(monkeypatch, delay=1.0)  # the next round is slow
    time.sleep(0.3)  # the verdict has expired
    trigger = threading.Thread(target=health.health_verdict)
    trigger.start()
    _wait_for_a_round()
    started = time.monotonic()
    assert health.health_verdict() == (True, {"database": "ok", "broker": "ok", "cache": "ok"})
    assert time.monotonic() - started < 0.5, "the probe queued behind the round"
    assert health._verdict[0] == first  # still the previous verdict
    trigger.join(timeout=30)
    assert health._verdict[0] > first
    assert calls == {"database": 1, "broker": 1, "cache": 1}

    # Without a previous verdict recent enough, a probe waits for the round in progress.
    settings.HEALTH_CHECK_TIMEOUT = 1.5
    time.sleep(2.0)  # older than one TTL plus one check budget
    trigger = threading.Thread(target=health.health_verdict)
    trigger.start()
    _wait_for_a_round()
    started = time.monotonic()
    health.health_verdict()
    assert time.monotonic() - started >= 0.5, "an expired verdict was served"
    trigger.join(timeout=30)
    assert calls == {"database": 2, "broker": 2, "cache": 2}


def _wait_for_a_round() -> None:
    deadline = time.monotonic() + 10
    while not health._verdict_lock.locked():
        assert time.monotonic() < deadline, "no round began"
        time.sleep(0.01)
