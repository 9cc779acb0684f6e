"""Budgets' requests for queued work: services ask, ``tasks.py`` sends (as enrichment's).

Only ``tasks.py`` touches Celery. A change that can move a budget's spend asks for an
evaluation of the organization's budgets that the change touches (``evaluation_request``);
the receiver in ``tasks.py`` (connected in ``BudgetsConfig.ready()``) queues it, debounced:
the chunks of one batch ask many times, one evaluation answers them all.
"""

from __future__ import annotations

import uuid

from django.dispatch import Signal

# Args: organization_id (UUID), account_id (UUID | None: every budget of the organization).
evaluation_requested = Signal()


def evaluation_request(*, organization_id: uuid.UUID, account_id: uuid.UUID | None) -> None:
    """Ask, now, for an evaluation of the budgets touching the account (None: all)."""
    evaluation_requested.send(sender=Signal, organization_id=organization_id, account_id=account_id)
