"""The lifecycle owner's storage seam: one interface, one implementation per kind of database.

``store()`` returns the implementation named by ``settings.LUCRO_STORE`` (by default the
PostgreSQL store on PostgreSQL and the portable one elsewhere), made once per process — as
Django picks a session backend from ``SESSION_ENGINE``.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from lucro.ingestion.store.base import (
    CONTENT_FIELDS,
    Answer,
    Claim,
    Row,
    Store,
    UpsertCounts,
)

__all__ = ["CONTENT_FIELDS", "Answer", "Claim", "Row", "Store", "UpsertCounts", "store"]


@cache
def _load(path: str) -> Store:
    try:
        store_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"LUCRO_STORE={path!r} cannot be imported: {exc}") from exc
    if not (isinstance(store_class, type) and issubclass(store_class, Store)):
        raise ImproperlyConfigured(f"LUCRO_STORE={path!r} is not a Store class.")
    return store_class()


def store() -> Store:
    """Return this process's store (``settings.LUCRO_STORE``)."""
    return _load(settings.LUCRO_STORE)
