"""Dependency checks for ``GET /api/health/``.

Three rules keep the probe cheap and honest under load:

* **One round per TTL.** ``health_verdict`` reuses the last verdict for
  ``HEALTH_CACHE_SECONDS``; one lock makes concurrent probes of a process wait for the round
  in progress instead of starting their own (200 parallel probes had opened 200 sets of
  connections).
* **Kept connections.** Each check always runs on the same thread of its own, so it keeps
  one database connection (Django's, per thread, recycled by ``CONN_MAX_AGE``) and one
  broker connection, and reconnects once when a kept connection has died (a server
  restart). The cache check uses the cache backend's own connection pool.
* **Bounded time.** The round is given ``HEALTH_CHECK_TIMEOUT`` seconds in all: a dead or
  black-holed dependency makes the endpoint answer 503 on time instead of hanging (a load
  balancer's probe would otherwise time out and mark the node down for the wrong reason).
  A check that overruns keeps its thread until its own socket timeout fires; the next
  round waits on that same attempt rather than queueing another behind it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

# Imported here, in the importing thread, not first inside the check threads: the broker
# check (kombu's redis transport) and the cache check (django-redis) both import
# ``redis.connection``, and two threads importing it at once made Python's import lock
# raise ``_DeadlockError`` in one of them — a 503 from the first probe after start (seen in
# CI's gunicorn health test).
import kombu.transport.redis  # noqa: F401
import redis.connection  # noqa: F401
from django.conf import settings
from django.core.cache import cache
from django.db import connections

OK = "ok"


def _select_one() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_database() -> str:
    """Run ``SELECT 1`` on this thread's kept connection to the default database."""
    connection = connections["default"]
    connection.close_if_unusable_or_obsolete()  # CONN_MAX_AGE, broken connections
    kept = connection.connection is not None
    try:
        _select_one()
    except Exception:
        connection.close()
        if not kept:
            raise
        _select_one()  # the kept connection had died (a restart): once more, fresh
    return OK


class _BrokerLink:
    """One kombu connection to the broker, kept between checks (used by one thread only)."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.url = ""

    def ping(self, url: str, timeout: float) -> None:
        """Make one round trip to the broker, reconnecting once if the kept link is dead."""
        kept = self.connection is not None and self.url == url
        if not kept:
            self.close()
            self._open(url, timeout)
        try:
            self._round_trip(timeout)
        except Exception:
            self.close()
            if not kept:
                raise
            self._open(url, timeout)
            self._round_trip(timeout)

    def _open(self, url: str, timeout: float) -> None:
        from kombu import Connection

        self.url = url
        self.connection = Connection(
            url,
            connect_timeout=timeout,
            # Redis reads the socket options, py-amqp the read/write ones; each ignores
            # the other's. No heartbeat: the link idles between probes and is checked by
            # the round trip itself.
            heartbeat=0,
            transport_options={
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
                "read_timeout": timeout,
                "write_timeout": timeout,
            },
        )

    def _round_trip(self, timeout: float) -> None:
        conn = self.connection
        # No retry inside a probe: a refused connection is the answer (ping() reconnects once).
        conn.ensure_connection(max_retries=0, timeout=timeout)
        channel = conn.default_channel
        client = getattr(channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()  # Redis
        else:
            # AMQP: a passive declare of an exchange every broker has; no side effect.
            channel.exchange_declare(exchange="amq.direct", type="direct", passive=True)

    def close(self) -> None:
        if self.connection is not None:
            # Closing a dead link may fail; it is dropped either way.
            with contextlib.suppress(Exception):
                self.connection.release()
            self.connection = None


_broker = _BrokerLink()


def check_broker() -> str:
    """Reach the Celery broker; for the filesystem transport, check its folders."""
    url: str = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out"):
            folder = Path(str(options[key]))
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                return f"error: broker folder {folder} is missing or not writable"
        return OK
    _broker.ping(url, settings.HEALTH_CHECK_TIMEOUT)
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
# What each check keeps open, closed on its own thread (connections are per thread).
_CLOSERS: dict[str, Callable[[], None]] = {
    "database": lambda: connections["default"].close(),
    "broker": _broker.close,
}


class _CheckThread:
    """Run one check, always on the same thread, one attempt at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"health-{name}")
        self._attempt: Future[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> Future[str]:
        """Start the check, or return the attempt still running (a hung dependency)."""
        with self._lock:
            if self._attempt is None or self._attempt.done():
                self._attempt = self._executor.submit(lambda: CHECKS[self.name]())
            return self._attempt

    def close(self, timeout: float) -> None:
        closer = _CLOSERS.get(self.name)
        if closer is not None:
            wait([self._executor.submit(closer)], timeout=timeout)


_threads: dict[str, _CheckThread] = {}
_threads_lock = threading.Lock()


def _check_thread(name: str) -> _CheckThread:
    with _threads_lock:
        if name not in _threads:
            _threads[name] = _CheckThread(name)
        return _threads[name]


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
    futures = {name: _check_thread(name).start() for name in CHECKS}
    wait(list(futures.values()), timeout=budget)
    results: dict[str, str] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = f"error: no answer within {budget:g}s"
            continue
        exc = future.exception()
        results[name] = _describe(exc) if exc is not None else future.result()
    return all(value == OK for value in results.values()), results


_verdict: tuple[float, bool, dict[str, str]] | None = None
_verdict_lock = threading.Lock()


def health_verdict() -> tuple[bool, dict[str, str]]:
    """Return the node's health, checked at most once per ``HEALTH_CACHE_SECONDS``.

    The verdict is stamped when its round ends, so a slow round is still reused for the
    whole TTL. A probe that finds the verdict expired runs the next round and waits for it
    (at most the check budget). Probes that arrive while that round runs answer with the
    previous verdict if it is at most one TTL plus one check budget old, instead of queueing
    behind the round; without one (the first round of a process), they wait for it.
    """
    global _verdict
    ttl: float = settings.HEALTH_CACHE_SECONDS
    if ttl <= 0:
        return health_report()
    last = _verdict
    if last is not None and time.monotonic() - last[0] < ttl:
        return last[1], dict(last[2])
    if not _verdict_lock.acquire(blocking=False):
        if last is not None and time.monotonic() - last[0] < ttl + settings.HEALTH_CHECK_TIMEOUT:
            return last[1], dict(last[2])  # a round is running: the one before it
        _verdict_lock.acquire()
    try:
        if _verdict is None or time.monotonic() - _verdict[0] >= ttl:
            ok, checks = health_report()
            _verdict = (time.monotonic(), ok, checks)
        return _verdict[1], dict(_verdict[2])
    finally:
        _verdict_lock.release()


def health_warm() -> threading.Thread:
    """Run a first round in the background (a server worker that has just started).

    The first round opens every kept connection; run by the first probe instead, under load
    (a worker recycled by ``max_requests`` on a busy node), it is the slowest probe of all.
    """
    thread = threading.Thread(target=health_verdict, name="health-warm", daemon=True)
    thread.start()
    return thread


def health_reset(timeout: float = 5.0) -> None:
    """Forget the cached verdict and close every kept connection (tests, settings changes)."""
    global _verdict
    with _verdict_lock:
        _verdict = None
    with _threads_lock:
        threads = list(_threads.values())
    for thread in threads:
        thread.close(timeout)
