from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.db import connections
from django.test import Client


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(client: Client) -> tuple[int, dict[str, object], float]:
    started = time.monotonic()
    response = client.get("/api/health/")
    return response.status_code, response.json(), time.monotonic() - started


@pytest.mark.django_db
def test_health_ok_needs_no_credentials(client: Client) -> None:
    status, body, _ = _health(client)
    assert status == 200, body
    assert body == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "cache": "ok"}}


def test_liveness_touches_nothing(client: Client, settings, closed_port: int) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    response = client.get("/api/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_503_on_time_when_redis_hangs(client: Client, settings, black_hole: int) -> None:
    settings.HEALTH_CHECK_TIMEOUT = 1.0
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{black_hole}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{black_hole}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 30, "SOCKET_TIMEOUT": 30},
        }
    }
    status, body, elapsed = _health(client)
    assert status == 503
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"] == "ok"
    assert checks["broker"].startswith("error")
    assert checks["cache"].startswith("error")
    assert elapsed < 2.5, f"health took {elapsed:.2f}s with a 1s budget"


@pytest.mark.django_db
def test_health_503_when_redis_refuses(client: Client, settings, closed_port: int) -> None:
    settings.HEALTH_CHECK_TIMEOUT = 1.0
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    status, body, elapsed = _health(client)
    assert status == 503
    assert body["checks"]["broker"].startswith("error")  # type: ignore[index]
    assert elapsed < 2.5


@pytest.mark.django_db
def test_health_503_on_time_when_database_is_unreachable(
    client: Client, settings, black_hole: int
) -> None:
    settings.HEALTH_CHECK_TIMEOUT = 1.0
    db = connections.settings["default"]
    saved = dict(db)
    # The check runs in its own thread, whose new connection reads these settings.
    if db["ENGINE"].endswith("sqlite3"):
        db["NAME"] = "/nonexistent-lucro-dir/db.sqlite3"
    else:
        db["HOST"], db["PORT"] = "127.0.0.1", str(black_hole)
    try:
        status, body, elapsed = _health(client)
    finally:
        db.clear()
        db.update(saved)
    assert status == 503
    assert body["checks"]["database"].startswith("error")  # type: ignore[index]
    assert body["checks"]["cache"] == "ok"  # type: ignore[index]
    assert elapsed < 2.5


@pytest.mark.django_db
def test_health_error_never_leaks_a_password(client: Client, settings) -> None:
    settings.HEALTH_CHECK_TIMEOUT = 1.0
    settings.CELERY_BROKER_URL = "redis://:s3cret-pass@127.0.0.1:1/0"
    response = client.get("/api/health/")
    assert response.status_code == 503
    assert b"s3cret-pass" not in response.content
