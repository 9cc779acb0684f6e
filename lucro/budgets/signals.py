"""Budgets' requests for queued work: services ask, ``tasks.py`` sends (as enrichment's).

Only ``tasks.py`` touches Celery. A change that can move a budget's spend asks for an
evaluation of the organization's budgets that the change touches (``evaluation_request``);
the receiver in ``tasks.py`` (connected in ``BudgetsConfig.ready()``) queues it, debounced:
the chunks of one batch ask many times, one evaluation answers them all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.dispatch import Signal

# Args: organization_id (UUID), account_id (UUID | None: every budget of the organization).
evaluation_requested = Signal()


def evaluation_request(*, organization_id: uuid.UUID, account_id: uuid.UUID | None) -> None:
    """Ask, now, for an evaluation of the budgets touching the account (None: all)."""
    evaluation_requested.send(sender=Signal, organization_id=organization_id, account_id=account_id)


def due_key(organization_id: uuid.UUID | str, account_id: uuid.UUID | str | None) -> str:
    """The cache key that says an evaluation of (organization, account) is queued."""
    return f"budgets:due:{organization_id}:{account_id or '*'}"


def evaluations_due(organization_id: uuid.UUID, account_ids: Iterable[uuid.UUID]) -> bool:
    """Whether an evaluation is already queued for each of the accounts (it will read the
    change: it deletes its key before it reads). False when the cache cannot say."""
    keys = [due_key(organization_id, a) for a in account_ids]
    try:
        return bool(keys) and len(cache.get_many(keys)) == len(keys)
    except Exception:
        return False
