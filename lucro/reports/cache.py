"""Cache versions of reports: per account, and per organization (any of its accounts).

Every write that touches an account's transactions (ingestion, enrichment write-back,
manual recategorisation, retries, re-runs, deletes and restores) is one of the lifecycle
owner's transitions, which announces it (``events.transactions_changed``) once committed;
the receiver bumps the accounts' versions and their organizations', so the next read
misses the cache and recomputes: a summary is never stale. An account's reports are
cached under its version; what reads several accounts of an organization (a budget's
status, ``lucro.budgets.cache``) under the organization's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction

from lucro.core.cacheversions import versions_bump, versions_get
from lucro.ingestion.selectors import account_organizations


def _version_key(account_pk: uuid.UUID | str) -> str:
    return f"acctver:{account_pk}"


def organization_version_key(organization_id: uuid.UUID | str) -> str:
    """The counter of the organization's reports, for ``cacheversions.versions_get``."""
    return f"orgrepver:{organization_id}"


def account_version(account_pk: uuid.UUID | str) -> int:
    """Return the current cache version of an account's reports."""
    return versions_get([_version_key(account_pk)])[0]


def accounts_bump(
    account_pks: Iterable[uuid.UUID | str],
    organization_ids: Iterable[uuid.UUID | str] | None = None,
) -> None:
    """Invalidate cached reports of these accounts and of their organizations now (None:
    the organizations that hold the accounts)."""
    pks = sorted({str(pk) for pk in account_pks})
    if not pks:
        return
    if organization_ids is None:
        organization_ids = set(account_organizations(pks).values())
    versions_bump([*map(_version_key, pks), *map(organization_version_key, set(organization_ids))])


def accounts_touched(account_pks: Iterable[uuid.UUID | str]) -> None:
    """Invalidate cached reports of these accounts once the current transaction commits.

    For writes outside the owner's transitions: the tests' and the benchmark's direct
    fixture loads.
    """
    pks = sorted({str(pk) for pk in account_pks})
    if pks:
        transaction.on_commit(lambda: accounts_bump(pks))
