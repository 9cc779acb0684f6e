"""Budgets' statuses, cached under the versions of everything a status reads.

A status is a function of the budget (bumped here, on commit of an edit or a delete), of
its organization's transactions (``reports.cache``: every account write bumps its
organization's version), of the rates (``fx.cache``) and of the day asked. Its key holds
all four, read in one round trip: a status is never served after a change it depends on,
and a hit reads nothing from the database. Another organization's key never matches: the
organization is part of it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from lucro.core.cacheversions import versions_bump, versions_get
from lucro.fx.cache import fx_version_keys
from lucro.reports.cache import organization_version_key


def _budget_version_key(budget_pk: uuid.UUID | str) -> str:
    return f"budgetver:{budget_pk}"


def status_key(organization_id: uuid.UUID, budget_pk: uuid.UUID, day: dt.date) -> str:
    """The cache key of the budget's status on ``day``, under the current versions."""
    keys = [
        organization_version_key(organization_id),
        *fx_version_keys(organization_id),
        _budget_version_key(budget_pk),
    ]
    versions = ".".join(map(str, versions_get(keys)))
    return f"budgetstatus:{organization_id}:{budget_pk}:{day.isoformat()}:{versions}"


def budget_changed_on_commit(budget_pk: uuid.UUID) -> None:
    """Retire the budget's cached statuses once the current transaction commits."""
    transaction.on_commit(lambda: versions_bump([_budget_version_key(budget_pk)]), robust=True)
