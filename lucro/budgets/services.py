"""Budgets' state changes (SPEC §12): create, change, delete; alerts made and read.

Alerts: ``budgets_evaluate`` computes the current period's spend of the budgets a change
touched and makes the alerts their thresholds call for. Exactly one per (budget, period,
threshold), whoever evaluates at the same time: the unique constraint decides (an
INSERT that loses the race is a no-op), never a check-then-insert. The
``budget.threshold_crossed`` webhook event is written in the same transaction as its alert
(``event_publish``: an outbox), so it goes out iff the alert exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from lucro.audit.services import audit_record
from lucro.budgets.cache import budget_changed_on_commit
from lucro.budgets.models import DEFAULT_THRESHOLDS, Alert, Budget
from lucro.budgets.periods import period_containing
from lucro.budgets.selectors import (
    RowsCache,
    budget_spend,
    budgets_touched,
    crossed,
)
from lucro.budgets.signals import evaluation_request
from lucro.core.currencies import format_money
from lucro.ingestion.models import Account
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization
from lucro.tenancy.principal import Principal
from lucro.webhooks.services import event_publish

logger = structlog.get_logger(__name__)

THRESHOLD_CROSSED = "budget.threshold_crossed"


def _today() -> dt.date:
    return timezone.now().date()


@transaction.atomic
def budget_create(
    *,
    organization: Organization,
    name: str,
    amount: Decimal,
    category: Category | None = None,
    accounts: Collection[Account] = (),
    period: str = Budget.Period.MONTHLY,
    thresholds: Iterable[Decimal] | None = None,
    starts_on: dt.date | None = None,
    actor: Principal | None = None,
) -> Budget:
    """Create a budget in the organization's base currency; evaluate it once committed."""
    budget = Budget.objects.create(
        organization=organization,
        name=name,
        category=category,
        period=period,
        amount=amount,
        currency=organization.base_currency,
        thresholds=_thresholds(thresholds),
        starts_on=starts_on or _today(),
    )
    budget.accounts.set(accounts)
    _audit(budget, actor, "budget.created", _snapshot(budget))
    _evaluate_on_commit(budget)
    return budget


@transaction.atomic
def budget_update(
    *, budget: Budget, data: dict[str, Any], actor: Principal | None = None
) -> Budget:
    """Change some of a budget's fields (its currency stays the one it was made in)."""
    before = _snapshot(budget)
    for name in ("name", "category", "period", "amount", "starts_on"):
        if name in data:
            setattr(budget, name, data[name])
    if "thresholds" in data:
        budget.thresholds = _thresholds(data["thresholds"])
    budget.save()
    if "accounts" in data:
        budget.accounts.set(data["accounts"])
    after = _snapshot(budget)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if changed:
        _audit(budget, actor, "budget.updated", changed)
    budget_changed_on_commit(budget.pk)
    _evaluate_on_commit(budget)
    return budget


@transaction.atomic
def budget_delete(*, budget: Budget, actor: Principal | None = None) -> None:
    """Delete a budget and its alerts."""
    snapshot, budget_id = _snapshot(budget), budget.pk
    budget.delete()
    budget.pk = budget_id  # delete() clears it; the audit event names the budget that was
    budget_changed_on_commit(budget_id)
    _audit(budget, actor, "budget.deleted", snapshot)


def alert_mark_read(*, alert: Alert) -> Alert:
    """Mark an alert read (again: no change)."""
    if alert.read_at is None:
        alert.read_at = timezone.now()
        alert.save(update_fields=["read_at"])
    return alert


def _thresholds(values: Iterable[Decimal] | None) -> list[str]:
    if values is None:
        return list(DEFAULT_THRESHOLDS)
    return [str(v) for v in sorted(set(Decimal(v) for v in values))]


def _snapshot(budget: Budget) -> dict[str, Any]:
    """A budget's editable fields as the audit log shows them."""
    return {
        "name": budget.name,
        "category": budget.category.slug if budget.category else None,
        "accounts": sorted(a.account_id for a in budget.accounts.all()) if budget.pk else [],
        "period": budget.period,
        "amount": format_money(budget.amount, budget.currency),
        "currency": budget.currency,
        "thresholds": list(budget.thresholds),
        "starts_on": budget.starts_on.isoformat(),
    }


def _audit(budget: Budget, actor: Principal | None, action: str, changes: dict[str, Any]) -> None:
    audit_record(
        organization=budget.organization,
        actor=actor,
        action=action,
        object_type="budget",
        object_id=budget.pk,
        changes=changes,
    )


def _evaluate_on_commit(budget: Budget) -> None:
    organization_id = budget.organization_id
    transaction.on_commit(
        lambda: evaluation_request(organization_id=organization_id, account_id=None),
        robust=True,
    )


# --- Alerts --------------------------------------------------------------------------------


def alert_doc(alert: Alert) -> dict[str, Any]:
    """An alert as the API and the webhook event show it (SPEC §12)."""
    return {
        "id": str(alert.pk),
        "budget": str(alert.budget_id),
        "period": {"start": alert.period_start.isoformat(), "end": alert.period_end.isoformat()},
        "threshold": float(alert.threshold),
        "spent": format_money(alert.spent, alert.currency),
        "currency": alert.currency,
        "created_at": alert.created_at.isoformat().replace("+00:00", "Z"),
        "read": alert.read_at is not None,
    }


def budgets_evaluate(
    *,
    organization_id: uuid.UUID,
    account_ids: Collection[uuid.UUID] | None = None,
    today: dt.date | None = None,
) -> list[Alert]:
    """Make the alerts the current period's spend calls for, for the organization's budgets
    touching ``account_ids`` (None: all of them); return the alerts made now.

    Only the period holding ``today`` (default: today, UTC) raises alerts: spend arriving
    for a past period changes its status, not its alerts. A threshold already alerted in
    the period costs nothing: budgets whose thresholds are all alerted are skipped before
    any spend is read, and budgets sharing a period, currency and accounts read it once.
    """
    today = today or _today()
    budgets = budgets_touched(organization_id=organization_id, account_ids=account_ids, today=today)
    if not budgets:
        return []
    periods = {b.pk: period_containing(b.period, b.starts_on, today) for b in budgets}
    done = set(
        Alert.objects.filter(budget__in=budgets)
        .filter(period_start__in={p.start for p in periods.values()})
        .values_list("budget_id", "period_start", "threshold")
    )
    pending = {
        b.pk: [t for t in b.threshold_values if (b.pk, periods[b.pk].start, t) not in done]
        for b in budgets
    }
    due = [b for b in budgets if pending[b.pk]]
    rows = RowsCache((b, periods[b.pk]) for b in due)
    made: list[Alert] = []
    for budget in due:
        period = periods[budget.pk]
        spent = budget_spend(budget, today, rows).rounded(budget.currency)
        for threshold in crossed(budget, spent):
            if threshold in pending[budget.pk]:
                alert = _alert_make(budget, period.start, period.end, threshold, spent)
                if alert is not None:
                    made.append(alert)
    return made


def _alert_make(
    budget: Budget, start: dt.date, end: dt.date, threshold: Decimal, spent: Decimal
) -> Alert | None:
    """Insert the alert and its webhook event in one transaction, unless another evaluation
    made it first (the unique constraint refuses the second INSERT: None)."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                organization_id=budget.organization_id,
                budget=budget,
                period_start=start,
                period_end=end,
                threshold=threshold,
                spent=spent,
                currency=budget.currency,
            )
            event_publish(
                organization_id=budget.organization_id,
                event_type=THRESHOLD_CROSSED,
                data={
                    **alert_doc(alert),
                    "budget_name": budget.name,
                    "amount": format_money(budget.amount, budget.currency),
                },
            )
    except IntegrityError:
        return None  # made by a concurrent evaluation: exactly one exists
    logger.info(
        "budget_threshold_crossed",
        budget_id=str(budget.pk),
        period_start=start.isoformat(),
        threshold=str(threshold),
    )
    return alert
