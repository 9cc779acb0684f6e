"""Budgets' Celery task: evaluate the budgets a change touched (the only module here that
touches Celery; ``signals.evaluation_requested`` reaches it, connected in
``BudgetsConfig.ready()``).

Debounced: a request sets a cache key for (organization, account) and queues one
evaluation ``BUDGET_EVALUATION_DELAY_SECONDS`` later; requests while the key is there add
nothing (the chunks of one batch ask once each). The task deletes the key *before* it
reads, so a change committed after that read asks again: none is missed. A cache that is
down, or a lost key, costs at most a duplicate evaluation — harmless, alerts are unique.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from lucro.budgets import services
from lucro.budgets.signals import due_key

logger = structlog.get_logger(__name__)


@shared_task(name="lucro.budgets.evaluate")
def evaluate_budgets(organization_id: str, account_id: str | None = None) -> int:
    try:
        cache.delete(due_key(organization_id, account_id))
    except Exception:  # a cache outage must not keep alerts from being made
        logger.warning("budget_debounce_unavailable", exc_info=True)
    alerts = services.budgets_evaluate(
        organization_id=uuid.UUID(organization_id),
        account_ids=None if account_id is None else [uuid.UUID(account_id)],
    )
    return len(alerts)


def evaluation_requested_send(
    *, organization_id: uuid.UUID, account_id: uuid.UUID | None, **_: Any
) -> None:
    """Queue one evaluation for the (organization, account), unless one is due already."""
    org, account = str(organization_id), None if account_id is None else str(account_id)
    delay = settings.BUDGET_EVALUATION_DELAY_SECONDS
    try:
        due = not cache.add(due_key(org, account), 1, timeout=max(1, int(delay * 10)))
    except Exception:
        due = False  # no cache: queue every time (duplicates are harmless)
    if due:
        return
    try:
        evaluate_budgets.apply_async((org, account), countdown=delay)
    except Exception:
        logger.exception("enqueue_failed", organization_id=org)
