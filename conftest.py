"""Test fixtures shared by every app's tests.

The suite runs on whatever ``DATABASE_URL`` / ``CACHE_URL`` / ``CELERY_BROKER_URL`` point at
(PostgreSQL + Redis in CI), or on the embedded default when they are unset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lucro.testing import ApiClient, make_client, snapshots_keep, snapshots_restore


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run transactional tests with ``serialized_rollback`` before the other transactional ones.

    pytest-django runs plain ``db`` tests, then transactional ones, in file order. A
    transactional test ends with a flush: without ``serialized_rollback`` that flush also
    re-creates the content types (post_migrate) but not the migration-seeded rows
    (categories, default rules). A serialized test after it then fails to restore its
    snapshot (duplicate content types), and a test that needs the seeded rows finds none.
    Seen when new transactional test files sorted between older ones. Serialized tests
    first (each restores the snapshot, then flushes without post_migrate), then the rest,
    which need nothing seeded.
    """
    items.sort(key=_run_order)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Hand the serialized-rollback snapshot to this context's connections (see
    ``lucro.testing.snapshots_restore``: a browser test's module leaves others behind)."""
    snapshots_restore()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    snapshots_keep()


def _run_order(item: pytest.Item) -> tuple[int, int]:
    """Return pytest-django's group (db, transactional, no db), then serialized first."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", []))
    transactional = bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & fixtures
    )
    if transactional:
        serialized = marker is not None and bool(marker.kwargs.get("serialized_rollback"))
        return 1, 0 if serialized else 1
    return (0, 0) if marker is not None or "db" in fixtures else (2, 0)


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
