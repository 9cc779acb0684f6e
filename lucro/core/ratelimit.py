"""Rate limits: fixed one-minute windows counted atomically, and the answers they give.

A **policy** (``Policy("default", limit=1200)``) is counted per **partition** (a credential,
a client IP, an email digest) in fixed windows aligned to the clock: every hit of a window
adds one to its counter, and a hit that takes the counter past the limit is refused with
``429`` (``RateLimited``) and ``Retry-After`` (seconds to the window's end). Fixed windows
let a client send up to twice the limit across a window boundary; the price of one counter
and one atomic operation per hit, which is what the SPEC asks of the limits.

The counters are a store chosen once, by ``settings.RATE_LIMIT_BACKEND`` (as Django picks a
session backend): ``RedisCounters`` in production (one Lua script per hit: INCR, and EXPIRE on
the window's first hit, atomic in Redis) and ``DatabaseCounters`` on the embedded default (one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per hit, atomic in SQLite and PostgreSQL). A
store that cannot be reached lets the request through: an outage of the cache must not take
the whole API down with it (a warning is logged, at most once a minute per process).

Both RateLimit fields of the IETF httpapi draft (draft-ietf-httpapi-ratelimit-headers) go
out on every answer of a limited request: ``RateLimitHeadersMiddleware`` adds them from what
the throttle recorded on the request, successes included.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import structlog
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from rest_framework.throttling import BaseThrottle

from lucro.core.errors import ApplicationError
from lucro.core.models import RateLimitCounter

logger = structlog.get_logger(__name__)

# Where a throttle records the windows it counted (on Django's HttpRequest, which the
# middleware sees), by policy name.
REQUEST_ATTRIBUTE = "lucro_rate_limits"
# An unreachable store is reported at most this often per process, not on every request.
UNAVAILABLE_WARNING_INTERVAL = 60.0


@dataclass(frozen=True)
class Policy:
    """At most ``limit`` requests per partition in each ``window`` seconds."""

    name: str
    limit: int
    window: int = 60


@dataclass(frozen=True)
class Window:
    """One counter just after a hit: how many hits its window holds, and when it ends."""

    policy: Policy
    hits: int
    reset: int  # whole seconds to the window's end, at least 1

    @property
    def remaining(self) -> int:
        return max(0, self.policy.limit - self.hits)

    @property
    def exceeded(self) -> bool:
        return self.hits > self.policy.limit


class RateLimited(ApplicationError):
    status = 429
    code = "rate-limited"
    title = "Too many requests"


class CountersUnavailable(Exception):
    """The counter store could not be reached (the request is let through)."""


class Counters(Protocol):
    """A store of fixed-window counters."""

    def hit(self, bucket: str, *, window_start: int, ttl: int) -> int:
        """Count one hit of ``bucket`` in the window that began at ``window_start``.

        Return the hits of that window, this one included. Atomic: two concurrent hits
        never return the same number. ``ttl`` is how long the counter must live (seconds).
        """
        ...


# INCR, and give the counter its expiry on the window's first hit: one script, so no other
# command runs between the two (a crash between them cannot leave a counter that never
# expires, and no client sees a half-made one).
_INCR_EXPIRE = """
local hits = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return hits
"""


class RedisCounters:
    """Counters in the Redis of the ``default`` cache, one key per bucket and window.

    Keys are the cache's own (``lucro:1:ratelimit:…``), so they share its prefix and the
    test suite's clean-up of that prefix.
    """

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self._script: Any = None

    def hit(self, bucket: str, *, window_start: int, ttl: int) -> int:
        from django_redis import get_redis_connection
        from redis.exceptions import RedisError

        key = caches[self.alias].make_key(f"ratelimit:{bucket}:{window_start}")
        try:
            client = get_redis_connection(self.alias)
            if self._script is None:
                self._script = client.register_script(_INCR_EXPIRE)
            return int(self._script(keys=[key], args=[ttl], client=client))
        except RedisError as exc:
            raise CountersUnavailable(f"{type(exc).__name__}: {exc}") from exc


class DatabaseCounters:
    """Counters in ``core_ratelimitcounter``, one row per bucket, for the embedded default.

    One statement per hit: the upsert increments the row of the current window or restarts
    it at 1 for a new one, and returns the count. Rows untouched for a day are purged, at
    most once a minute per process, so partitions that stop calling (IPs, emails) do not
    pile up.
    """

    PURGE_AFTER = 86_400
    PURGE_INTERVAL = 60.0

    def __init__(self) -> None:
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()

    def hit(self, bucket: str, *, window_start: int, ttl: int) -> int:
        table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (bucket, window_start, hits) VALUES (%s, %s, 1) "
                "ON CONFLICT (bucket) DO UPDATE SET "
                f"hits = CASE WHEN {table}.window_start = excluded.window_start "
                f"THEN {table}.hits + 1 ELSE 1 END, "
                "window_start = excluded.window_start "
                "RETURNING hits",
                [bucket, window_start],
            )
            row = cursor.fetchone()
        self._purge(window_start)
        return int(row[0])

    def _purge(self, now: int) -> None:
        with self._purge_lock:
            if time.monotonic() - self._last_purge < self.PURGE_INTERVAL:
                return
            self._last_purge = time.monotonic()
        RateLimitCounter.objects.filter(window_start__lt=now - self.PURGE_AFTER).delete()


@cache
def _counters_at(path: str) -> Counters:
    counters: Counters = import_string(path)()
    return counters


def counters() -> Counters:
    """Return the store named by ``RATE_LIMIT_BACKEND`` (one instance per dotted path)."""
    return _counters_at(settings.RATE_LIMIT_BACKEND)


_warning_lock = threading.Lock()
_last_warning = -math.inf


def _warn_unavailable(error: CountersUnavailable) -> None:
    global _last_warning
    with _warning_lock:
        now = time.monotonic()
        if now - _last_warning < UNAVAILABLE_WARNING_INTERVAL:
            return
        _last_warning = now
    logger.warning("rate_limit_store_unavailable", error=str(error), action="request allowed")


def hit(policy: Policy, partition: str, *, clock: Callable[[], float] = time.time) -> Window | None:
    """Count one request of ``partition`` against ``policy``; None if the store is down."""
    now = clock()
    window_start = int(now // policy.window) * policy.window
    reset = max(1, math.ceil(window_start + policy.window - now))
    try:
        hits = counters().hit(f"{policy.name}:{partition}", window_start=window_start, ttl=reset)
    except CountersUnavailable as exc:
        _warn_unavailable(exc)
        return None
    return Window(policy=policy, hits=hits, reset=reset)


def _django_request(request: Any) -> HttpRequest:
    # A DRF Request wraps Django's; the middleware only ever sees the latter.
    return getattr(request, "_request", request)


def recorded(request: Any) -> dict[str, Window]:
    """Return the windows counted for ``request`` so far, by policy name."""
    django_request = _django_request(request)
    windows: dict[str, Window] | None = getattr(django_request, REQUEST_ATTRIBUTE, None)
    if windows is None:
        windows = {}
        setattr(django_request, REQUEST_ATTRIBUTE, windows)
    return windows


def count(request: Any, limits: Iterable[tuple[Policy, str]]) -> None:
    """Count ``request`` once against each (policy, partition) it has not been counted for."""
    windows = recorded(request)
    for policy, partition in limits:
        if policy.name in windows:
            continue  # a view that checks its throttles twice still costs one hit
        window = hit(policy, partition)
        if window is not None:
            windows[policy.name] = window


def refuse_if_exceeded(request: Any) -> None:
    """Raise ``RateLimited`` if any window counted for ``request`` is over its limit."""
    windows = recorded(request)
    exceeded = [window for window in windows.values() if window.exceeded]
    if not exceeded:
        return
    wait = max(window.reset for window in exceeded)
    names = [window.policy.name for window in exceeded]
    raise RateLimited(
        f"Too many requests ({', '.join(names)}); retry in {wait} s.",
        headers={"Retry-After": str(wait), **rate_limit_headers(windows.values())},
        # The draft's quota-exceeded problem names the policies a request went over.
        extra={"violated-policies": names},
    )


def rate_limit_headers(windows: Iterable[Window]) -> dict[str, str]:
    """Return the draft's ``RateLimit-Policy`` and ``RateLimit`` fields for ``windows``.

    Structured-field lists: ``"default";q=1200;w=60`` and ``"default";r=1187;t=17``.
    """
    windows = list(windows)
    if not windows:
        return {}
    return {
        "RateLimit-Policy": ", ".join(
            f'"{w.policy.name}";q={w.policy.limit};w={w.policy.window}' for w in windows
        ),
        "RateLimit": ", ".join(f'"{w.policy.name}";r={w.remaining};t={w.reset}' for w in windows),
    }


def client_ip(request: Any) -> str:
    """Return the caller's address: ``REMOTE_ADDR``, or behind ``RATE_LIMIT_TRUSTED_PROXIES``
    proxies the address the outermost of them saw (from ``X-Forwarded-For``).

    Entries a client writes itself into ``X-Forwarded-For`` sit left of the ones our
    proxies append, so only the right-most ``RATE_LIMIT_TRUSTED_PROXIES`` are believed.
    """
    meta = _django_request(request).META
    proxies: int = settings.RATE_LIMIT_TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [address for address in forwarded if address]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(meta.get("REMOTE_ADDR", ""))


class PolicyThrottle(BaseThrottle):
    """A DRF throttle that counts each request against ``limits(request)``.

    Over a limit it raises ``RateLimited`` itself (DRF's ``Throttled`` carries no fields of
    ours); DRF's own throttles keep a list of timestamps in the cache, read and written
    back without a lock, which lets concurrent requests through past the limit.
    ``lucro.core.openapi`` documents the 429 of every view with such a throttle.
    """

    def limits(self, request: Any) -> Sequence[tuple[Policy, str]]:
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        count(request, self.limits(request))
        refuse_if_exceeded(request)
        return True

    def wait(self) -> float | None:
        return None


class RateLimitHeadersMiddleware:
    """Add ``RateLimit-Policy`` and ``RateLimit`` to every answer of a counted request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        windows: dict[str, Window] | None = getattr(request, REQUEST_ATTRIBUTE, None)
        if windows:
            for name, value in rate_limit_headers(windows.values()).items():
                response.headers.setdefault(name, value)
        return response
