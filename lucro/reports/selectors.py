"""Report reads: account summaries, time series, category breakdowns, organization totals,
and the transactions (one, or a filtered page of them).

Each read takes parsed, typed arguments (``lucro.reports.params`` parses requests) and
returns a typed body (``lucro.reports.responses``). The figures come from one aggregate
query (``lucro.reports.queries``); an account's reports are cached under the account's
version (``lucro.reports.cache``), which every write to the account bumps.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet

from lucro.core.currencies import format_money
from lucro.core.errors import NotFound
from lucro.core.pagination import Key, Keyset, Page, PageParams
from lucro.fx.cache import fx_version
from lucro.fx.selectors import rate_text, rates_daily
from lucro.ingestion.models import Account, Transaction
from lucro.reports import responses
from lucro.reports.cache import account_version
from lucro.reports.conversion import ConvertedRow, Rates, conversion
from lucro.reports.queries import (
    CategoryFilter,
    CategoryInfo,
    DateRange,
    Totals,
    category_rows,
    day_rows,
    month_start,
    next_month,
)
from lucro.reports.rateblocks import rate_block
from lucro.reports.responses import Interval, Level
from lucro.tenancy.models import Organization

if TYPE_CHECKING:
    from lucro.reports.params import TransactionFilters

__all__ = [
    "TRANSACTION_ORDER",
    "DateRange",
    "account_categories",
    "account_detail",
    "account_get",
    "account_list",
    "account_summary",
    "account_timeseries",
    "accounts_by_id",
    "organization_summary",
    "summary_compute",
    "transaction_get",
    "transaction_list",
]

TOP_CATEGORIES = 3
_FOUR_PLACES = Decimal("0.0001")

R = TypeVar("R")


# --- Accounts ----------------------------------------------------------------------------


def account_get(*, organization: Organization, account_id: str) -> Account:
    """Return the caller's live account by external id; a deleted one, or another
    tenant's, is missing (404)."""
    account = (
        Account.objects.live()
        .only("id", "account_id", "currency")
        .filter(organization=organization, account_id=account_id)
        .first()
    )
    if account is None:
        raise NotFound("No such account.")
    return account


# By external id: unique per organization, and the order integrations and people know.
ACCOUNT_ORDER = Keyset(Key.text("account_id"))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _account_doc(account: Account) -> responses.Account:
    """Return an account as the API shows it (never more of its number than the mask)."""
    return {
        "id": str(account.id),
        "account_id": account.account_id,
        "name": account.name,
        "type": account.type,
        "subtype": account.subtype,
        "mask": account.mask,
        "currency": account.currency or None,
        "created_at": account.created_at.isoformat(),
        "updated_at": account.updated_at.isoformat(),
        "deleted_at": _iso(account.deleted_at),
    }


def account_list(
    *, organization: Organization, deleted: bool, page: PageParams, cursors: bool = False
) -> Page[responses.Account]:
    """Return one page of the caller's accounts: the live ones, or the deleted ones
    (``cursors``: with each row's cursor)."""
    rows = Account.objects.filter(organization=organization, deleted_at__isnull=not deleted)
    found = ACCOUNT_ORDER.page(rows, page, cursors=cursors)
    return Page([_account_doc(a) for a in found.results], found.next_cursor, found.cursors)


def accounts_by_id(
    *, organization: Organization, account_ids: Collection[str]
) -> dict[str, responses.Account]:
    """Return the caller's accounts named by ``account_ids`` (external ids), in one query;
    a deleted account is still shown (its transactions may be listed as deleted)."""
    rows = Account.objects.filter(organization=organization, account_id__in=list(account_ids))
    return {a.account_id: _account_doc(a) for a in rows}


def account_detail(*, organization: Organization, account_id: str) -> responses.Account:
    """Return one live account of the caller's; a deleted one, or another tenant's, is 404."""
    account = Account.objects.live().filter(organization=organization, account_id=account_id)
    found = account.first()
    if found is None:
        raise NotFound("No such account.")
    return _account_doc(found)


def _cached(account: Account, kind: str, parts: Sequence[object], compute: Callable[[], R]) -> R:
    """Return ``compute()`` cached under the account's current version."""
    version = account_version(account.pk)
    key = f"report:{kind}:{account.pk}:{version}:" + ":".join(str(p) for p in parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.REPORT_CACHE_TIMEOUT)
    return value


# --- Shaping -----------------------------------------------------------------------------


def _metrics(totals: Totals, currency: str) -> responses.Metrics:
    return {
        "total_transactions": totals.count,
        "total_spend": format_money(totals.spend_sum, currency),
        "total_income": format_money(totals.income_sum, currency),
        "net": format_money(totals.income_sum - totals.spend_sum, currency),
    }


def _status(totals: Totals) -> responses.ProcessingStatus:
    return {
        "pending": totals.pending_count,
        "processing": totals.processing_count,
        "completed": totals.terminal_count - totals.failed_count,
        "failed": totals.failed_count,
    }


def _by_category(
    rows: Iterable[tuple[CategoryInfo | None, Totals]], level: Level
) -> tuple[Totals, dict[tuple[str, str] | None, Totals]]:
    """Return the grand total and totals per (name, slug) at ``level``; None: uncategorised."""
    total = Totals()
    groups: dict[tuple[str, str] | None, Totals] = {}
    for category, totals in rows:
        total.add(totals)
        key: tuple[str, str] | None = None
        if category is not None:
            key = (
                (category.primary_name, category.primary_slug)
                if level == "primary"
                else (category.name, category.slug)
            )
        groups.setdefault(key, Totals()).add(totals)
    return total, groups


def _top(
    groups: Mapping[tuple[str, str] | None, Totals], currency: str
) -> list[responses.TopCategory]:
    # Uncategorised is not a category: it is left out of the ranking (it stays in totals).
    ranked = sorted(
        ((key, t) for key, t in groups.items() if key is not None and t.spend_sum),
        key=lambda item: (-item[1].spend_sum, item[0][0]),
    )
    return [
        {
            "category": name,
            "slug": slug,
            "total_spend": format_money(t.spend_sum, currency),
            "transaction_count": t.count,
        }
        for (name, slug), t in ranked[:TOP_CATEGORIES]
    ]


def _range_doc(span: DateRange) -> responses.DateRange:
    return {"start": span.start.isoformat(), "end": span.end.isoformat()}


# --- Reports -----------------------------------------------------------------------------


def unconverted_doc(rows: Iterable[ConvertedRow]) -> dict[str, responses.Unconverted]:
    """Return, per currency, the rows left unconverted (no rate that day), in that currency."""
    per: dict[str, Totals] = {}
    for row in rows:
        if row.unconverted.count:
            per.setdefault(row.currency, Totals()).add(row.unconverted)
    return {
        code: {
            "transaction_count": t.count,
            "total": format_money(t.income_sum - t.spend_sum, code),
        }
        for code, t in sorted(per.items())
    }


def _target(account: Account, currency: str | None) -> str | None:
    """Return the currency to convert ``account``'s reports to, or None: its own."""
    if currency is None or not account.currency or currency == account.currency:
        return None
    return currency


def _converted(
    organization: Organization,
    span: DateRange,
    target: str,
    currencies: Mapping[uuid.UUID, str],
    *,
    by_day: bool = False,
    **where: Any,
) -> list[ConvertedRow]:
    """Return the rows of ``span`` (``where``: account_pks or organization_id) converted from
    their accounts' currencies (``currencies``: account pk → currency) into ``target``."""
    block = rate_block(
        organization=organization, currencies=currencies.values(), target=target, span=span
    )
    return conversion().rows(
        span,
        rates=block.rates,
        currencies=currencies,
        by_day=by_day,
        scale=lambda: block.scaled(span),
        **where,
    )


def summary_compute(*, account: Account, span: DateRange, level: Level) -> responses.AccountSummary:
    """Return the SPEC §6 summary of ``account`` over ``span`` (no cache)."""
    rows = category_rows(span, account_pks=[account.pk])
    total, groups = _by_category(((r.category, r.totals) for r in rows), level)
    currency = account.currency
    return {
        "account_id": account.account_id,
        "currency": currency or None,
        "date_range": _range_doc(span),
        "metrics": _metrics(total, currency),
        "top_categories": _top(groups, currency),
        "processing_status": _status(total),
        "unconverted": {},
    }


def summary_converted(
    *, organization: Organization, account: Account, span: DateRange, level: Level, target: str
) -> responses.AccountSummary:
    """Return the summary of ``account`` in ``target``, at each day's rate (no cache)."""
    rows = _converted(
        organization, span, target, {account.pk: account.currency}, account_pks=[account.pk]
    )
    total, groups = _by_category(((r.category, r.converted) for r in rows), level)
    every = Totals()
    for row in rows:
        every.add(row.native)
    return {
        "account_id": account.account_id,
        "currency": target,
        "date_range": _range_doc(span),
        "metrics": _metrics(total, target),
        "top_categories": _top(groups, target),
        "processing_status": _status(every),
        "unconverted": unconverted_doc(rows),
    }


def _fx_parts(organization: Organization, target: str | None) -> tuple[object, ...]:
    # A converted report depends on the rates too: their version joins the cache key.
    return () if target is None else (target, fx_version(organization.pk))


def account_summary(
    *,
    organization: Organization,
    account_id: str,
    span: DateRange,
    level: Level = "primary",
    currency: str | None = None,
) -> responses.AccountSummary:
    """Return the account's summary (in ``currency``, converted), cached until it moves."""
    account = account_get(organization=organization, account_id=account_id)
    target = _target(account, currency)

    def compute() -> responses.AccountSummary:
        if target is None:
            return summary_compute(account=account, span=span, level=level)
        return summary_converted(
            organization=organization, account=account, span=span, level=level, target=target
        )

    parts = (span.start, span.end, level, *_fx_parts(organization, target))
    return _cached(account, "summary", parts, compute)


def account_categories(
    *,
    organization: Organization,
    account_id: str,
    span: DateRange,
    level: Level = "detailed",
    currency: str | None = None,
) -> responses.CategoryBreakdown:
    """Return every category's spend, income, count and share of spend over ``span``."""
    account = account_get(organization=organization, account_id=account_id)
    target = _target(account, currency)

    def compute() -> responses.CategoryBreakdown:
        code = target or account.currency
        unconverted: dict[str, responses.Unconverted] = {}
        if target is None:
            pairs: Iterable[tuple[CategoryInfo | None, Totals]] = [
                (r.category, r.totals) for r in category_rows(span, account_pks=[account.pk])
            ]
        else:
            converted = _converted(
                organization,
                span,
                target,
                {account.pk: account.currency},
                account_pks=[account.pk],
            )
            pairs = [(r.category, r.converted) for r in converted]
            unconverted = unconverted_doc(converted)
        total, groups = _by_category(pairs, level)
        ordered = sorted(
            groups.items(),
            key=lambda item: (item[0] is None, -item[1].spend_sum, item[0][0] if item[0] else ""),
        )
        categories: list[responses.CategoryBreakdownItem] = []
        for key, t in ordered:
            share = (t.spend_sum / total.spend_sum) if total.spend_sum else Decimal(0)
            categories.append(
                {
                    "category": key[0] if key else None,
                    "slug": key[1] if key else None,
                    "total_spend": format_money(t.spend_sum, code),
                    "total_income": format_money(t.income_sum, code),
                    "transaction_count": t.count,
                    "share_of_spend": str(share.quantize(_FOUR_PLACES)),
                }
            )
        return {
            "account_id": account.account_id,
            "currency": code or None,
            "date_range": _range_doc(span),
            "level": level,
            "metrics": _metrics(total, code),
            "categories": categories,
            "unconverted": unconverted,
        }

    parts = (span.start, span.end, level, *_fx_parts(organization, target))
    return _cached(account, "categories", parts, compute)


def _period_start(day: dt.date, interval: Interval) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return month_start(day)
    return day


def _periods(span: DateRange, interval: Interval) -> list[tuple[dt.date, dt.date]]:
    periods = []
    cursor = _period_start(span.start, interval)
    while cursor <= span.end:
        if interval == "day":
            nxt = cursor + dt.timedelta(days=1)
        elif interval == "week":
            nxt = cursor + dt.timedelta(days=7)
        else:
            nxt = next_month(cursor)
        periods.append((max(cursor, span.start), min(nxt - dt.timedelta(days=1), span.end)))
        cursor = nxt
    return periods


def account_timeseries(
    *,
    organization: Organization,
    account_id: str,
    span: DateRange,
    interval: Interval = "day",
    currency: str | None = None,
) -> responses.Timeseries:
    """Return spend, income, net and count per period; empty periods are zeros."""
    account = account_get(organization=organization, account_id=account_id)
    target = _target(account, currency)

    def compute() -> responses.Timeseries:
        buckets: dict[dt.date, Totals] = {}
        unconverted: dict[str, responses.Unconverted] = {}
        if target is None:
            days = day_rows(span, account_pk=account.pk)
        else:
            converted = _converted(
                organization,
                span,
                target,
                {account.pk: account.currency},
                by_day=True,
                account_pks=[account.pk],
            )
            days = [(r.day, r.converted) for r in converted if r.day is not None]
            unconverted = unconverted_doc(converted)
        for day, totals in days:
            buckets.setdefault(_period_start(day, interval), Totals()).add(totals)
        code = target or account.currency
        series: list[responses.Period] = []
        for start, end in _periods(span, interval):
            t = buckets.get(_period_start(start, interval), Totals())
            series.append(
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "spend": format_money(t.spend_sum, code),
                    "income": format_money(t.income_sum, code),
                    "net": format_money(t.income_sum - t.spend_sum, code),
                    "transaction_count": t.count,
                }
            )
        return {
            "account_id": account.account_id,
            "currency": code or None,
            "date_range": _range_doc(span),
            "interval": interval,
            "series": series,
            "unconverted": unconverted,
        }

    parts = (span.start, span.end, interval, *_fx_parts(organization, target))
    return _cached(account, "timeseries", parts, compute)


def converted_rows(
    *,
    organization: Organization,
    span: DateRange,
    currency: str,
    account_pks: Collection[uuid.UUID] | None = None,
    categories: CategoryFilter | None = None,
    by_account: bool = False,
    live: Mapping[uuid.UUID, str] | None = None,
) -> list[ConvertedRow]:
    """Return the organization's figures per (account, category) over ``span`` in
    ``currency``, each day at that day's rate (``account_pks``: only those accounts;
    ``categories``: only those rows; ``by_account``: per account, ``category`` None).
    ``live``: the organization's live accounts' currencies (``account_currencies``), when
    the caller already read them for several calls.

    Read from the rollups, never from raw transactions; when every account is already in
    ``currency`` the monthly rollups answer as they are (nothing to convert).
    """
    if live is None:
        accounts = Account.objects.live().filter(organization=organization)
        if account_pks is not None:
            accounts = accounts.filter(pk__in=list(account_pks))
        currencies = dict(accounts.values_list("id", "currency"))
    elif account_pks is None:
        currencies = dict(live)
    else:
        currencies = {pk: live[pk] for pk in account_pks if pk in live}
    if not currencies:
        return []
    where: dict[str, Any] = (
        {"organization_id": organization.pk}
        if account_pks is None
        else {"account_pks": list(currencies)}
    )
    if not set(currencies.values()) <= {currency, ""}:
        return _converted(
            organization,
            span,
            currency,
            currencies,
            categories=categories,
            by_account=by_account,
            **where,
        )
    # Nothing to convert: the monthly rollups answer, as for one account (SPEC §8).
    merged: dict[tuple[uuid.UUID, CategoryInfo | None], ConvertedRow] = {}
    for r in category_rows(span, **where):
        if categories is not None and not categories.matches(r.category):
            continue
        category = None if by_account else r.category
        row = merged.get((r.account_pk, category))
        if row is None:
            merged[(r.account_pk, category)] = ConvertedRow(
                currency=currencies.get(r.account_pk) or "",
                account_pk=r.account_pk,
                category=category,
                day=None,
                native=r.totals,
                converted=r.totals,
            )
        else:
            row.native.add(r.totals)  # the same object as row.converted: added once
    return list(merged.values())


def account_currencies(*, organization: Organization) -> dict[uuid.UUID, str]:
    """Return the currency of each of the organization's live accounts, by primary key."""
    return dict(
        Account.objects.live().filter(organization=organization).values_list("id", "currency")
    )


def organization_summary(
    *,
    organization: Organization,
    span: DateRange,
    level: Level = "primary",
    currency: str | None = None,
) -> responses.OrganizationSummary:
    """Return the organization's totals in ``currency`` (default: its base currency), each
    day at that day's rate, with the per-currency breakdown in each currency's own."""
    target = currency or organization.base_currency
    rows = converted_rows(organization=organization, span=span, currency=target)
    per_currency: dict[str, list[tuple[CategoryInfo | None, Totals]]] = {}
    accounts: dict[str, set[uuid.UUID]] = {}
    every = Totals()
    for row in rows:
        per_currency.setdefault(row.currency, []).append((row.category, row.native))
        accounts.setdefault(row.currency, set()).add(row.account_pk)
        every.add(row.native)
    breakdown: list[responses.CurrencySummary] = []
    for code in sorted(per_currency):
        native_total, native_groups = _by_category(per_currency[code], level)
        breakdown.append(
            {
                "currency": code or None,
                "accounts": len(accounts[code]),
                "metrics": _metrics(native_total, code),
                "top_categories": _top(native_groups, code),
                "processing_status": _status(native_total),
            }
        )
    total, groups = _by_category(((r.category, r.converted) for r in rows), level)
    return {
        "currency": target,
        "date_range": _range_doc(span),
        "metrics": _metrics(total, target),
        "top_categories": _top(groups, target),
        "processing_status": _status(every),
        "currencies": breakdown,
        "unconverted": unconverted_doc(rows),
    }


# --- Transactions ------------------------------------------------------------------------

# Newest first. The key ends in the primary key, so it is unique and a page boundary never
# falls between two rows that compare equal.
TRANSACTION_ORDER = Keyset(
    Key.date("date"), Key.datetime("created_at"), Key.uuid("id"), descending=True
)


# The columns a transaction's document is built from, read as named rows (no model built:
# measured, building the row, its category and its primary was a third of a page's time).
_DOC_COLUMNS = (
    "id",
    "transaction_id",
    "account_id",  # the account's key
    "batch_id",
    "amount",
    "currency",
    "date",
    "created_at",
    "authorized_date",
    "description",
    "merchant_name",
    "payment_channel",
    "pending",
    "ingestion_status",
    "category_id",
    "category__slug",
    "category__name",
    "category__parent__slug",
    "category__parent__name",
    "category_source",
    "category_confidence",
    "failure_reason",
    "deleted_at",
)


def _category_doc(row: Any) -> responses.TransactionCategory | None:
    if row.category_id is None:
        return None
    primary: responses.PrimaryCategory = (
        {"slug": row.category__slug, "name": row.category__name}  # a primary category itself
        if row.category__parent__slug is None
        else {"slug": row.category__parent__slug, "name": row.category__parent__name}
    )
    return {"slug": row.category__slug, "name": row.category__name, "primary": primary}


def _base_rates(organization: Organization, rows: Sequence[Any]) -> Rates:
    """Return the rates of the rows' currencies into the base currency over their days."""
    if not rows:
        return {}
    days = [t.date for t in rows]
    return rates_daily(
        organization=organization,
        sources=sorted({t.currency for t in rows}),
        target=organization.base_currency,
        start=min(days),
        end=max(days),
    )


def _transaction_doc(txn: Any, account_id: str, base: str, rates: Rates) -> responses.Transaction:
    """Return a transaction (a row of ``_DOC_COLUMNS``, in account ``account_id``) as the
    API shows it (SPEC §6), with its amount in ``base``."""
    rate = rates.get(txn.currency, {}).get(txn.date)
    return {
        "id": str(txn.id),
        "transaction_id": txn.transaction_id,
        "account_id": account_id,
        "batch_id": str(txn.batch_id),
        "amount": format_money(txn.amount, txn.currency),
        "currency": txn.currency,
        "date": txn.date.isoformat(),
        "authorized_date": txn.authorized_date.isoformat() if txn.authorized_date else None,
        "description": txn.description,
        "merchant_name": txn.merchant_name,
        "payment_channel": txn.payment_channel,
        "pending": txn.pending,
        "ingestion_status": txn.ingestion_status,
        "category": _category_doc(txn),
        "category_source": txn.category_source,
        "category_confidence": txn.category_confidence,
        "failure_reason": txn.failure_reason,
        "deleted_at": _iso(txn.deleted_at),
        "amount_in_base_currency": (
            format_money(txn.amount * rate, base) if rate is not None else None
        ),
        "base_currency": base,
        "exchange_rate": rate_text(rate) if rate is not None else None,
    }


def _transactions(organization: Organization, *, deleted: bool = False) -> QuerySet[Transaction]:
    """Return the caller's transactions not deleted on their own (``deleted``: those that
    are), in any account: the caller keeps those of live accounts (a deleted account's rows
    come back only with it), by a join or by the accounts' keys."""
    return Transaction.objects.filter(organization=organization, deleted_at__isnull=not deleted)


def transaction_get(*, organization: Organization, transaction_pk: str) -> responses.Transaction:
    """Return the caller's transaction by its UUID; anything else is a 404."""
    try:
        pk = uuid.UUID(transaction_pk)
    except (ValueError, TypeError) as exc:
        raise NotFound("No such transaction.") from exc
    txn = (
        _transactions(organization)
        .filter(pk=pk, account__deleted_at__isnull=True)
        .values_list(*_DOC_COLUMNS, "account__account_id", named=True)
        .first()
    )
    if txn is None:
        raise NotFound("No such transaction.")
    return _transaction_doc(
        txn, txn.account__account_id, organization.base_currency, _base_rates(organization, [txn])
    )


def _filtered(
    organization: Organization, rows: QuerySet[Transaction], filters: TransactionFilters
) -> tuple[QuerySet[Transaction], dict[uuid.UUID, Account]]:
    """Return the rows ``filters`` keep, and the accounts they can be in, by key.

    By the accounts' keys, looked up first, not by a join: given the keys, the planner walks
    the (account, date) index in the list's order (7 ms for a page of a 1 000 000-row
    account, bench/dashboard.py), where through the join it scanned and sorted the
    organization's rows (1.8 s), or every organization's accounts when its statistics
    were stale (0.4 s for a page of a 5 000-row organization). No account: an empty list.
    """
    accounts = Account.objects.live().filter(organization=organization)
    if filters.account_id is not None:
        accounts = accounts.filter(account_id=filters.account_id)
    found = {a.pk: a for a in accounts.order_by("pk")}
    q = Q()  # the caller keeps the rows of ``found`` (Keyset.page's parts)
    if filters.start_date is not None:
        q &= Q(date__gte=filters.start_date)
    if filters.end_date is not None:
        q &= Q(date__lte=filters.end_date)
    if filters.min_amount is not None:
        q &= Q(amount__gte=filters.min_amount)
    if filters.max_amount is not None:
        q &= Q(amount__lte=filters.max_amount)
    if filters.status is not None:
        q &= Q(ingestion_status=filters.status)
    if filters.source is not None:
        q &= Q(category_source=filters.source)
    if filters.category is not None:
        # A primary category's slug matches its detailed categories too.
        q &= Q(category=filters.category) | Q(category__parent=filters.category)
    if filters.search is not None:
        q &= Q(description__icontains=filters.search) | Q(merchant_name__icontains=filters.search)
    return rows.filter(q), found


@dataclass(frozen=True)
class TransactionPage(Page[responses.Transaction]):
    """A page of transactions, with the accounts they are in (by external id): read for
    the page anyway, so a GraphQL ``account`` field costs no query of its own."""

    accounts: Mapping[str, responses.Account] = field(default_factory=dict)


def transaction_list(
    *,
    organization: Organization,
    filters: TransactionFilters,
    page: PageParams,
    cursors: bool = False,
) -> TransactionPage:
    """Return one page of the caller's transactions, newest first (``cursors``: with each
    row's cursor)."""
    found, accounts = _filtered(
        organization,
        _transactions(organization, deleted=filters.deleted).values_list(*_DOC_COLUMNS, named=True),
        filters,
    )
    # Newest first over several accounts: the newest of each account, merged. The parts are
    # the live accounts ``filters`` allow, so the rows need no join to their account.
    parts = ("account_id", list(accounts))
    rows = TRANSACTION_ORDER.page(found, page, cursors=cursors, parts=parts)
    rates = _base_rates(organization, rows.results)
    base = organization.base_currency
    shown = {accounts[t.account_id] for t in rows.results}
    return TransactionPage(
        [_transaction_doc(t, accounts[t.account_id].account_id, base, rates) for t in rows.results],
        rows.next_cursor,
        rows.cursors,
        accounts={a.account_id: _account_doc(a) for a in shown},
    )
