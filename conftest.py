"""Test fixtures shared by every app's tests.

The suite runs on whatever ``DATABASE_URL`` / ``CACHE_URL`` / ``CELERY_BROKER_URL`` point at
(PostgreSQL + Redis in CI), or on the embedded default when they are unset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lucro.core.testing import ApiClient, make_client


@pytest.fixture(autouse=True)
def _clear_cache(settings: Any) -> None:
    from django.core.cache import cache

    # On Redis, only this project's keys ("lucro:1:*"): ``clear()`` is FLUSHDB, which also
    # empties a broker (or anything else) sharing the database. Seen: a run whose cache
    # database was another run's broker database made that run's real workers lose their
    # queued tasks.
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture
def api(db: None) -> ApiClient:
    """A client authenticated as organization A."""
    return make_client("Org A")


@pytest.fixture
def other_api(db: None) -> ApiClient:
    """A client authenticated as organization B."""
    return make_client("Org B")


@pytest.fixture
def make_api(db: None) -> Callable[[str], ApiClient]:
    return make_client
