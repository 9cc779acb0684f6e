"""Budgets, their status and their alerts, read (SPEC §12).

A budget's spend is read from the daily rollups converted at each day's rate — the
reports' own ``converted_rows``, never a scan of raw transactions — over its period, its
accounts and its category: money out minus money in (refunds), never below zero.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from lucro.budgets.cache import status_key
from lucro.budgets.models import Alert, Budget
from lucro.budgets.periods import Period, period_containing
from lucro.core.currencies import QUANTUM, format_money
from lucro.core.errors import NotFound
from lucro.reports.conversion import ConvertedRow
from lucro.reports.queries import CategoryFilter, DateRange
from lucro.reports.selectors import account_currencies, converted_rows, unconverted_doc
from lucro.tenancy.models import Organization

# "All spending" leaves these primary categories out (SPEC §12): money moved, not spent.
NOT_SPENDING = frozenset({"income", "transfer-in", "transfer-out"})


class PeriodDoc(TypedDict):
    start: str
    end: str


class BudgetStatus(TypedDict):
    period: PeriodDoc
    amount: str
    spent: str
    remaining: str
    percent: float
    projected: str
    thresholds_crossed: list[float]
    currency: str
    unconverted: dict[str, Any]


def budget_list(*, organization: Organization) -> QuerySet[Budget]:
    return (
        Budget.objects.filter(organization=organization)
        .select_related("category", "category__parent")
        .prefetch_related("accounts")
    )


def budget_get(*, organization: Organization, budget_id: object) -> Budget:
    """Return one of the organization's budgets; another tenant's is as missing as none."""
    try:
        pk = uuid.UUID(str(budget_id))
    except ValueError as exc:
        raise NotFound("No such budget.") from exc
    budget = budget_list(organization=organization).filter(pk=pk).first()
    if budget is None:
        raise NotFound("No such budget.")
    budget.organization = organization  # its status reads it: no second query for it
    return budget


def alert_list(
    *, organization: Organization, budget_id: uuid.UUID | None = None, unread: bool | None = None
) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(organization=organization)
    if budget_id is not None:
        alerts = alerts.filter(budget_id=budget_id)
    if unread is not None:
        alerts = alerts.filter(read_at__isnull=unread)
    return alerts


def alert_get(*, organization: Organization, alert_id: object) -> Alert:
    try:
        pk = uuid.UUID(str(alert_id))
    except ValueError as exc:
        raise NotFound("No such alert.") from exc
    alert = alert_list(organization=organization).filter(pk=pk).first()
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def category_filter(budget: Budget) -> CategoryFilter:
    """The rows a budget counts: its category's (a primary: with its detailed ones), or
    every row but income and transfers (uncategorised spending counts)."""
    if budget.category is None:
        return CategoryFilter(excluded=NOT_SPENDING)
    return CategoryFilter(slug=budget.category.slug)


@dataclass(frozen=True)
class Spend:
    """A budget's spend over one period: exact (rounded only when shown)."""

    period: Period
    spent: Decimal  # ≥ 0, in the budget's currency, unrounded
    rows: Sequence[ConvertedRow]  # the budget's rows (for ``unconverted``)

    def rounded(self, currency: str) -> Decimal:
        return self.spent.quantize(QUANTUM.get(currency, Decimal("0.01")))


class RowsCache:
    """Converted rows per (period, currency), shared by the budgets of one evaluation that
    have the same period and currency: read once per category over the accounts any of them
    covers, then filtered by each budget's accounts and category (an organization's monthly
    budgets read one month once). A budget alone in its period reads only its own rows,
    added up per account in the query."""

    def __init__(self, budgets: Iterable[tuple[Budget, Period]] = ()) -> None:
        self._rows: dict[tuple[Any, ...], list[ConvertedRow]] = {}
        # The organization's live accounts, read once for every budget of the evaluation.
        self._live: dict[uuid.UUID, str] | None = None
        self._sharing: Counter[tuple[Any, ...]] = Counter()
        self._accounts: dict[tuple[Any, ...], frozenset[uuid.UUID] | None] = {}
        for budget, period in budgets:
            key = (period, budget.currency)
            self._sharing[key] += 1
            mine = budget_account_pks(budget)
            known = self._accounts.get(key, frozenset())
            self._accounts[key] = None if mine is None or known is None else known | mine

    def rows(self, budget: Budget, period: Period) -> list[ConvertedRow]:
        key = (period, budget.currency)
        only = category_filter(budget)
        accounts = budget_account_pks(budget)
        span = DateRange(period.start, period.end)
        if self._live is None and sum(self._sharing.values()) > 1:
            self._live = account_currencies(organization=budget.organization)
        if self._sharing[key] < 2:
            return converted_rows(
                organization=budget.organization,
                span=span,
                currency=budget.currency,
                account_pks=accounts,
                categories=only,
                by_account=True,
                live=self._live,
            )
        if key not in self._rows:
            self._rows[key] = converted_rows(
                organization=budget.organization,
                span=span,
                currency=budget.currency,
                account_pks=self._accounts[key],
                live=self._live,
            )
        return [
            r
            for r in self._rows[key]
            if (accounts is None or r.account_pk in accounts) and only.matches(r.category)
        ]


def budget_account_pks(budget: Budget) -> frozenset[uuid.UUID] | None:
    """The budget's accounts (None: every account of its organization)."""
    pks = frozenset(account.pk for account in budget.accounts.all())
    return pks or None


def budget_spend(budget: Budget, day: dt.date, rows: RowsCache | None = None) -> Spend:
    """Return the budget's spend over its period holding ``day``."""
    period = period_containing(budget.period, budget.starts_on, day)
    mine = (rows or RowsCache()).rows(budget, period)
    net = sum((r.converted.spend_sum - r.converted.income_sum for r in mine), Decimal(0))
    return Spend(period=period, spent=max(net, Decimal(0)), rows=mine)


def crossed(budget: Budget, spent: Decimal) -> list[Decimal]:
    """The thresholds ``spent`` (rounded, as shown) has reached."""
    return [t for t in budget.threshold_values if spent >= t * budget.amount]


def budget_status(*, budget: Budget, day: dt.date) -> BudgetStatus:
    """Return the SPEC §12 status of ``budget`` in its period holding ``day``."""
    spend = budget_spend(budget, day)
    period, currency = spend.period, budget.currency
    spent = spend.rounded(currency)
    elapsed = (min(max(day, period.start), period.end) - period.start).days + 1
    projected = spend.spent * period.days / elapsed
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "amount": format_money(budget.amount, currency),
        "spent": format_money(spent, currency),
        "remaining": format_money(budget.amount - spent, currency),
        "percent": float(round(spent / budget.amount * 100, 2)),
        "projected": format_money(projected, currency),
        "thresholds_crossed": [float(t) for t in crossed(budget, spent)],
        "currency": currency,
        "unconverted": dict(unconverted_doc(spend.rows)),
    }


def budget_status_cached(
    *,
    organization: Organization,
    budget_id: object,
    day: dt.date,
    budget: Budget | None = None,
) -> BudgetStatus:
    """Return ``budget_status`` of the organization's budget ``budget_id`` (or ``budget``,
    already read) on ``day``, cached under the versions of what it reads
    (``lucro.budgets.cache``): a hit reads nothing from the database; a budget that is
    missing or another organization's is ``NotFound``, and nothing is cached for it."""
    try:
        pk = uuid.UUID(str(budget_id))
    except ValueError as exc:
        raise NotFound("No such budget.") from exc
    key = status_key(organization.pk, pk, day)
    found: BudgetStatus | None = cache.get(key)
    if found is not None:
        return found
    if budget is None or budget.pk != pk or budget.organization_id != organization.pk:
        budget = budget_get(organization=organization, budget_id=pk)
    budget.organization = organization  # its status reads it: no second query for it
    status = budget_status(budget=budget, day=day)
    cache.set(key, status, timeout=settings.REPORT_CACHE_TIMEOUT)
    return status


def current_period_overlaps(
    budget: Budget, today: dt.date, dates: tuple[dt.date, dt.date] | None
) -> bool:
    """Whether days ``dates`` (first, last; None: unknown, any) reach the budget's period
    holding ``today``."""
    return _reaches(budget.period, budget.starts_on, today, dates)


def _reaches(
    period_kind: str, starts_on: dt.date, today: dt.date, dates: tuple[dt.date, dt.date] | None
) -> bool:
    if dates is None:
        return True
    period = period_containing(period_kind, starts_on, today)
    return dates[0] <= period.end and dates[1] >= period.start


def accounts_budgeted(
    *,
    organization_id: uuid.UUID,
    account_ids: Iterable[uuid.UUID],
    today: dt.date,
    dates: tuple[dt.date, dt.date] | None = None,
) -> set[uuid.UUID]:
    """Which of ``account_ids`` a started budget of the organization counts, in a current
    period that ``dates`` reach (None: any): the accounts ``budgets_touched`` would find a
    budget for, in one query that builds no model (a receiver asks after every chunk)."""
    wanted = set(account_ids)
    budgets: dict[uuid.UUID, tuple[str, dt.date, set[uuid.UUID]]] = {}
    rows = Budget.objects.filter(organization_id=organization_id, starts_on__lte=today)
    for pk, kind, starts_on, account in rows.values_list(
        "pk", "period", "starts_on", "accounts__pk"
    ):
        mine = budgets.setdefault(pk, (kind, starts_on, set()))[2]
        if account is not None:
            mine.add(account)
    found: set[uuid.UUID] = set()
    for kind, starts_on, accounts in budgets.values():
        if _reaches(kind, starts_on, today, dates):
            found |= wanted & accounts if accounts else wanted
    return found


def covers(budget: Budget, account_id: uuid.UUID) -> bool:
    """Whether the budget counts the account (a budget without accounts counts all)."""
    accounts = budget_account_pks(budget)
    return accounts is None or account_id in accounts


def budgets_touched(
    *,
    organization_id: uuid.UUID,
    account_ids: Iterable[uuid.UUID] | None,
    today: dt.date,
    dates: tuple[dt.date, dt.date] | None = None,
) -> list[Budget]:
    """The organization's budgets already started that count one of ``account_ids`` (None:
    any account) and whose current period ``dates`` reach (None: any)."""
    budgets = (
        Budget.objects.filter(organization_id=organization_id, starts_on__lte=today)
        .select_related("organization", "category", "category__parent")
        .prefetch_related("accounts")
    )
    wanted = None if account_ids is None else set(account_ids)
    return [
        b
        for b in budgets
        if current_period_overlaps(b, today, dates)
        and (wanted is None or any(covers(b, a) for a in wanted))
    ]


def budget_history(*, budget: Budget, today: dt.date, periods: int) -> list[BudgetStatus]:
    """Return the status of up to ``periods`` periods before the one holding ``today``,
    newest first (none before the budget starts): each one is ``budget_status`` of a day
    of that period, as GET …/status/?date= answers it."""
    history: list[BudgetStatus] = []
    day = period_containing(budget.period, budget.starts_on, today).start
    while len(history) < periods and day > budget.starts_on:
        day -= dt.timedelta(days=1)
        history.append(budget_status(budget=budget, day=day))
        day = dt.date.fromisoformat(history[-1]["period"]["start"])
    return history
