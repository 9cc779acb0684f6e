"""What budgets do when another app announces a change (connected in
``BudgetsConfig.ready()``): ask for an evaluation of the budgets it can touch.

Receivers run after the change committed (the owners' events are sent on commit). They
filter cheaply — which of the accounts a started budget counts, in a current period the
dates reach (``selectors.accounts_budgeted``: one indexed query, no model built) — so that
a change no budget can see (an account no budget covers, dates outside every current
period) asks for nothing, and a change whose accounts already have an evaluation queued
asks for nothing again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from lucro.budgets.models import Budget
from lucro.budgets.selectors import accounts_budgeted, current_period_overlaps
from lucro.budgets.signals import evaluation_request, evaluations_due
from lucro.ingestion.selectors import account_organizations


def _request(
    organization_id: uuid.UUID,
    account_ids: Iterable[uuid.UUID],
    dates: tuple[dt.date, dt.date] | None,
) -> None:
    account_ids = list(account_ids)
    if evaluations_due(organization_id, account_ids):
        return  # the queued evaluation will see this change too (a batch's next chunk)
    budgeted = accounts_budgeted(
        organization_id=organization_id,
        account_ids=account_ids,
        today=timezone.now().date(),
        dates=dates,
    )
    for account_id in account_ids:
        if account_id in budgeted:
            evaluation_request(organization_id=organization_id, account_id=account_id)


def transactions_changed_evaluate(
    *,
    organization_id: uuid.UUID | None,
    account_ids: frozenset[uuid.UUID],
    dates: tuple[dt.date, dt.date] | None = None,
    **_: Any,
) -> None:
    """Transactions moved (a chunk categorised, a manual category, a delete or restore)."""
    if organization_id is not None:
        _request(organization_id, account_ids, dates)
        return
    by_organization: dict[uuid.UUID, set[uuid.UUID]] = {}
    for pk, org in account_organizations(account_ids).items():
        by_organization.setdefault(org, set()).add(pk)
    for org, accounts in by_organization.items():
        _request(org, accounts, dates)


def rates_changed_evaluate(
    *,
    organization_id: uuid.UUID | None,
    dates: tuple[dt.date, dt.date],
    **_: Any,
) -> None:
    """Rates were uploaded or loaded: the organization's budgets (the shared rates: every
    organization's) whose current period the dates reach are evaluated again."""
    today = timezone.now().date()
    budgets = Budget.objects.filter(starts_on__lte=today)
    if organization_id is not None:
        budgets = budgets.filter(organization_id=organization_id)
    for org in {
        b.organization_id
        for b in budgets.only("organization_id", "period", "starts_on")
        if current_period_overlaps(b, today, dates)
    }:
        evaluation_request(organization_id=org, account_id=None)
