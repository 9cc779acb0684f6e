"""What budgets do when another app announces a change (connected in
``BudgetsConfig.ready()``): ask for an evaluation of the budgets it can touch.

Receivers run after the change committed (the owners' events are sent on commit). They
filter cheaply — one indexed query for the organization's budgets — so that a change
no budget can see (another organization's, an account no budget covers, dates outside
every current period) asks for nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from lucro.budgets.models import Budget
from lucro.budgets.periods import period_containing
from lucro.budgets.signals import evaluation_request, evaluations_due
from lucro.ingestion.models import Account


def _overlaps(budget: Budget, today: dt.date, dates: tuple[dt.date, dt.date] | None) -> bool:
    if dates is None:
        return True
    period = period_containing(budget.period, budget.starts_on, today)
    return dates[0] <= period.end and dates[1] >= period.start


def _request(
    organization_id: uuid.UUID,
    account_ids: Iterable[uuid.UUID],
    dates: tuple[dt.date, dt.date] | None,
) -> None:
    account_ids = list(account_ids)
    if evaluations_due(organization_id, account_ids):
        return  # the queued evaluation will see this change too (a batch's next chunk)
    today = timezone.now().date()
    budgets = [
        b
        for b in Budget.objects.filter(organization_id=organization_id, starts_on__lte=today)
        .prefetch_related("accounts")
        .only("pk", "period", "starts_on")
        if _overlaps(b, today, dates)
    ]
    if not budgets:
        return
    covered: set[uuid.UUID] | None = set()
    for budget in budgets:
        pks = {a.pk for a in budget.accounts.all()}
        if not pks:
            covered = None  # a budget over every account: all of them count
            break
        assert covered is not None
        covered |= pks
    for account_id in account_ids:
        if covered is None or account_id in covered:
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
    for pk, org in Account.objects.filter(pk__in=account_ids).values_list("pk", "organization_id"):
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
        if _overlaps(b, today, dates)
    }:
        evaluation_request(organization_id=org, account_id=None)
