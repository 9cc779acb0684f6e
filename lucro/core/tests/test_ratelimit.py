"""The rate-limit counters: atomic under concurrency in each store, windows, a store that is down.

The database store runs on whichever database the suite runs on (SQLite or PostgreSQL); the
Redis store when the suite's cache is Redis. The HTTP behaviour is in
lucro/tenancy/tests/test_rate_limits.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from structlog.testing import capture_logs

from lucro.core import ratelimit
from lucro.core.models import RateLimitCounter
from lucro.core.ratelimit import DatabaseCounters, Policy, RedisCounters

ON_REDIS = django_settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
STORES = [
    pytest.param(DatabaseCounters, id="database"),
    pytest.param(
        RedisCounters,
        id="redis",
        marks=pytest.mark.skipif(not ON_REDIS, reason="the suite's cache is not Redis"),
    ),
]
WINDOW = 1_790_000_040  # a minute's start, in Unix seconds


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Any:
    return request.param()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_hits_get_twenty_different_counts(store: Any) -> None:
    # Each thread has its own connection (to the database, or from the Redis pool), and all
    # hit the same counter at once: a read-then-write store would hand out duplicates.
    barrier = threading.Barrier(20)
    counts: list[int] = []
    errors: list[BaseException] = []

    def hit() -> None:
        try:
            barrier.wait(timeout=30)
            counts.append(store.hit("test:concurrent", window_start=WINDOW, ttl=60))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(counts) == list(range(1, 21))


@pytest.mark.django_db
def test_a_new_window_starts_again_at_one(store: Any) -> None:
    assert [store.hit("test:w", window_start=WINDOW, ttl=60) for _ in range(3)] == [1, 2, 3]
    assert store.hit("test:w", window_start=WINDOW + 60, ttl=60) == 1
    assert store.hit("test:w", window_start=WINDOW + 60, ttl=60) == 2
    # Buckets are independent.
    assert store.hit("test:other", window_start=WINDOW + 60, ttl=60) == 1


@pytest.mark.django_db
def test_the_database_store_keeps_one_row_per_bucket_and_purges_stale_ones() -> None:
    store = DatabaseCounters()
    store.hit("test:old", window_start=WINDOW, ttl=60)
    store.hit("test:row", window_start=WINDOW + DatabaseCounters.PURGE_AFTER, ttl=60)
    store.hit("test:row", window_start=WINDOW + DatabaseCounters.PURGE_AFTER + 60, ttl=60)
    buckets = set(RateLimitCounter.objects.values_list("bucket", flat=True))
    assert buckets == {"test:old", "test:row"}
    store._last_purge = float("-inf")  # the once-a-minute purge is due
    store.hit("test:row", window_start=WINDOW + DatabaseCounters.PURGE_AFTER + 120, ttl=60)
    assert list(RateLimitCounter.objects.values_list("bucket", "hits")) == [("test:row", 1)]


@pytest.mark.skipif(not ON_REDIS, reason="the suite's cache is not Redis")
def test_a_redis_counter_expires_with_its_window() -> None:
    from django.core.cache import cache
    from django_redis import get_redis_connection

    RedisCounters().hit("test:ttl", window_start=WINDOW, ttl=17)
    key = cache.make_key(f"ratelimit:test:ttl:{WINDOW}")
    assert 0 < get_redis_connection("default").ttl(key) <= 17


@pytest.mark.django_db
def test_hit_reports_the_window_and_the_seconds_to_its_end(settings: Any) -> None:
    settings.RATE_LIMIT_BACKEND = "lucro.core.ratelimit.DatabaseCounters"
    policy = Policy("test-clock", limit=2)
    windows = [ratelimit.hit(policy, "p", clock=lambda: WINDOW + 43.2) for _ in range(3)]
    assert [(w.hits, w.remaining, w.exceeded, w.reset) for w in windows if w] == [
        (1, 1, False, 17),
        (2, 0, False, 17),
        (3, 0, True, 17),
    ]
    # The first instant of a window leaves all of it; the next window counts afresh.
    window = ratelimit.hit(policy, "p", clock=lambda: WINDOW + 60.0)
    assert window is not None and (window.hits, window.reset) == (1, 60)


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    """The cache (and so the Redis store) points at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "KEY_PREFIX": "lucro",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    settings.RATE_LIMIT_BACKEND = "lucro.core.ratelimit.RedisCounters"
    ratelimit._last_warning = float("-inf")
    yield
    ratelimit._last_warning = float("-inf")


def test_a_store_that_is_down_lets_hits_through_and_warns_once_a_minute(redis_down: None) -> None:
    with capture_logs() as logs:
        assert ratelimit.hit(Policy("test-down", limit=1), "p") is None
        assert ratelimit.hit(Policy("test-down", limit=1), "p") is None
    warnings = [log for log in logs if log["event"] == "rate_limit_store_unavailable"]
    assert len(warnings) == 1, logs
    assert warnings[0]["log_level"] == "warning"
    assert "ConnectionError" in warnings[0]["error"]


def test_the_store_is_the_one_settings_name(settings: Any) -> None:
    # The default: Redis whenever the cache is Redis (production), else the database.
    expected = RedisCounters if ON_REDIS else DatabaseCounters
    assert isinstance(ratelimit.counters(), expected)
    settings.RATE_LIMIT_BACKEND = "lucro.core.ratelimit.DatabaseCounters"
    assert isinstance(ratelimit.counters(), DatabaseCounters)
    settings.RATE_LIMIT_BACKEND = "lucro.core.ratelimit.RedisCounters"
    assert isinstance(ratelimit.counters(), RedisCounters)
