"""Dependency checks for ``GET /api/health/``.

Each check runs in its own thread and is given ``HEALTH_CHECK_TIMEOUT`` seconds in all: a
dead or black-holed dependency makes the endpoint answer 503 on time instead of hanging
(a load balancer's probe would otherwise time out and mark the node down for the wrong
reason). A check that overruns keeps its thread until its own socket timeout fires; the
threads are daemons and the pool is shared, so overruns cannot pile up without bound.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections

OK = "ok"

# Three checks per probe; a few spare threads absorb checks still stuck from earlier probes.
_pool = ThreadPoolExecutor(max_workers=12, thread_name_prefix="health")


def check_database() -> str:
    """Run ``SELECT 1`` on the default database (in this thread's own connection)."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # Health threads are short-lived users of the pool: never keep a connection open.
        connection.close()
    return OK


def check_broker() -> str:
    """Connect to the Celery broker; for the filesystem transport, check its folders."""
    url: str = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out"):
            folder = Path(str(options[key]))
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                return f"error: broker folder {folder} is missing or not writable"
        return OK
    from kombu import Connection

    timeout = settings.HEALTH_CHECK_TIMEOUT
    with Connection(
        url,
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=max(1, int(timeout)))
    return OK


def check_cache() -> str:
    """Write a value to the cache and read it back."""
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    return OK if value == "1" else "error: the cache did not return what was written"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
}


def _describe(exc: BaseException) -> str:
    # Only the exception's type and first line: a DSN with a password must never leak.
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"error: {type(exc).__name__}"
    if first_line and "://" not in first_line and "password" not in first_line.lower():
        text += f": {first_line[:200]}"
    return text


def health_report(timeout: float | None = None) -> tuple[bool, dict[str, str]]:
    """Run every check concurrently within ``timeout``; return (all ok, status per check)."""
    budget = settings.HEALTH_CHECK_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + budget
    futures = {name: _pool.submit(check) for name, check in CHECKS.items()}
    wait(list(futures.values()), timeout=budget)
    results: dict[str, str] = {}
    for name, future in futures.items():
        if not future.done():
            future.cancel()
            results[name] = f"error: no answer within {budget:g}s"
            continue
        exc = future.exception(timeout=max(0.0, deadline - time.monotonic()))
        results[name] = _describe(exc) if exc is not None else future.result()
    return all(value == OK for value in results.values()), results
