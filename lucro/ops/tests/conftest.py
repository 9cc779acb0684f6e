"""Fixtures that run Lucro's real processes: gunicorn with gunicorn.conf.py, a Celery worker.

They run the command lines of docker-compose.yml against the test database, so the
deployment files are exercised even though no Docker engine runs here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    """The URL of the test database, for processes started by a test."""
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "LOG_JSON": "True",
            "LUCRO_VAR_DIR": str(settings.VAR_DIR),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def _health_fresh() -> Iterator[None]:
    """No verdict or kept connection crosses tests (settings change between them)."""
    from lucro.ops.health import health_reset

    health_reset()
    yield
    health_reset()


@dataclass
class Proc:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def start(cmd: list[str], log: Path, env: dict[str, str]) -> Proc:
    handle = log.open("wb")
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Proc(process, log)


def stop(proc: Proc) -> None:
    if proc.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.process.pid, signal.SIGTERM)
        try:
            proc.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.process.pid, signal.SIGKILL)
            proc.process.wait(timeout=5)


# Generous: a readiness wait, not a speed check. Two workers importing the whole app on a
# machine that runs both CI suites side by side took over 30 s once.
def wait_http(url: str, proc: Proc, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise AssertionError(f"process exited early:\n{proc.text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except Exception:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s:\n{proc.text()[-4000:]}")


GUNICORN_COMMAND = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi:application"]


def start_gunicorn(folder: Path, port: int, **env: str) -> Proc:
    """Start gunicorn as the Dockerfile runs it, on ``port``; metrics and its log in ``folder``."""
    return start(
        GUNICORN_COMMAND,
        folder / "gunicorn.log",
        process_env(
            GUNICORN_BIND=f"127.0.0.1:{port}",
            PROMETHEUS_MULTIPROC_DIR=str(folder),
            # gunicorn 27's control socket has one default path per user (~/.gunicorn/):
            # the gunicorns of two suites running at once would take it from each other.
            GUNICORN_CMD_ARGS="--no-control-socket",
            **env,
        ),
    )


@dataclass
class LiveGunicorn:
    url: str
    proc: Proc


@pytest.fixture(scope="session")
def gunicorn_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGunicorn]:
    """gunicorn -c gunicorn.conf.py config.wsgi:application, as the Dockerfile runs it."""
    port = free_port()
    proc = start_gunicorn(tmp_path_factory.mktemp("gunicorn"), port, WEB_CONCURRENCY="2")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/live/", proc)
        yield LiveGunicorn(url, proc)
    finally:
        stop(proc)


WORKER_COMMAND = [
    "-A",
    "config",
    "worker",
    "-l",
    "INFO",
    "--concurrency",
    "2",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]


@pytest.fixture
def celery_worker_process(tmp_path: Path) -> Iterator[Proc]:
    """A real worker (compose's command line) on the test database and the real broker."""
    log = tmp_path / "worker.log"
    proc = start(
        [str(BIN / "celery"), *WORKER_COMMAND, "-n", f"test-{os.getpid()}@%h"], log, process_env()
    )
    deadline = time.monotonic() + 60
    try:
        while "ready" not in proc.text():
            if proc.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{proc.text()[-4000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        stop(proc)
