"""Per-account cache versions: summaries are cached under a key that includes the version.

Every write that touches an account's transactions (ingestion, enrichment write-back,
manual recategorisation, retries, re-runs) is one of the lifecycle owner's transitions,
which announces it (``events.transactions_changed``) once committed; the receiver bumps the
accounts' versions, so the next read misses the cache and recomputes: a summary is never
stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction


def _version_key(account_pk: uuid.UUID | str) -> str:
    return f"acctver:{account_pk}"


def account_version(account_pk: uuid.UUID | str) -> int:
    """Return the current cache version of an account's reports."""
    value = cache.get(_version_key(account_pk))
    return int(value) if value is not None else 0


def accounts_bump(account_pks: Iterable[uuid.UUID | str]) -> None:
    """Invalidate cached reports of these accounts now."""
    for pk in sorted({str(pk) for pk in account_pks}):
        key = _version_key(pk)
        try:
            cache.incr(key)
        except ValueError:
            # Not there yet (or evicted): any fresh value differs from what readers used,
            # because readers treat a missing version as 0 and we store a random one.
            cache.set(key, uuid.uuid4().int % (2**62), timeout=None)


def accounts_touched(account_pks: Iterable[uuid.UUID | str]) -> None:
    """Invalidate cached reports of these accounts once the current transaction commits.

    For writes outside the owner's transitions: the tests' and the benchmark's direct
    fixture loads.
    """
    pks = sorted({str(pk) for pk in account_pks})
    if pks:
        transaction.on_commit(lambda: accounts_bump(pks))
