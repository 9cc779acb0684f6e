"""Report reads: account summaries, time series, category breakdowns, organization totals.

Every figure is ``rollups (terminal rows) + raw in-flight rows``, read in one SQL
statement so both parts come from the same snapshot:

- full calendar months of the range from ``reports_monthlyrollup``;
- the edge days (a range that starts or ends mid-month) from ``reports_dailyrollup``;
- rows still ``pending`` / ``processing`` straight from ``ingestion_transaction``, through
  the partial index ``txn_inflight_status`` (few rows: only those enrichment has not
  finished).

A one-year range of a heavy account reads ≈ 12 monthly and ≤ 60 daily rows per category
instead of hundreds of thousands of transactions (SPEC §8). Results are cached under the
account's version (``lucro.reports.cache``), which every write to the account bumps.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from lucro.core.currencies import format_money
from lucro.core.errors import NotFound, ValidationFailed
from lucro.core.params import iso_date
from lucro.ingestion.models import Account
from lucro.reports.cache import account_version
from lucro.reports.models import UNCATEGORISED
from lucro.tenancy.models import Organization

LEVELS = ("primary", "detailed")
INTERVALS = ("day", "week", "month")
STATUSES = ("pending", "processing", "completed", "failed")
TOP_CATEGORIES = 3
_FOUR_PLACES = Decimal("0.0001")


# --- Parameters --------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    start: dt.date
    end: dt.date


def _parse_date(
    params: Mapping[str, str], name: str, errors: list[dict[str, str]]
) -> dt.date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        errors.append({"pointer": f"/{name}", "detail": f"{name} is required (YYYY-MM-DD)."})
        return None
    try:
        # Bounded: the period arithmetic below (a day after the end, the month after, the
        # Monday before) overflows at date.max and date.min.
        return iso_date(raw)
    except ValueError as exc:
        errors.append({"pointer": f"/{name}", "detail": f"{name} {exc}"})
        return None


def _choice(
    params: Mapping[str, str],
    name: str,
    choices: Sequence[str],
    default: str,
    errors: list[dict[str, str]],
) -> str:
    value = params.get(name) or default
    if value not in choices:
        errors.append(
            {"pointer": f"/{name}", "detail": f"{name} must be one of {', '.join(choices)}."}
        )
    return value


def _raise(errors: list[dict[str, str]]) -> None:
    if errors:
        raise ValidationFailed(" ".join(e["detail"] for e in errors), errors=errors)


def parse_range(params: Mapping[str, str]) -> DateRange:
    """Return the inclusive date range of a report request, or raise a 400 problem."""
    errors: list[dict[str, str]] = []
    start = _parse_date(params, "start_date", errors)
    end = _parse_date(params, "end_date", errors)
    _raise(errors)
    assert start is not None and end is not None
    if start > end:
        _raise([{"pointer": "/start_date", "detail": "start_date is after end_date."}])
    days = (end - start).days + 1
    limit = settings.REPORT_MAX_RANGE_DAYS
    if days > limit:
        _raise(
            [
                {
                    "pointer": "/end_date",
                    "detail": f"The range covers {days} days; the maximum is {limit}.",
                }
            ]
        )
    return DateRange(start, end)


def parse_level(params: Mapping[str, str]) -> str:
    errors: list[dict[str, str]] = []
    level = _choice(params, "level", LEVELS, "primary", errors)
    _raise(errors)
    return level


def parse_interval(params: Mapping[str, str]) -> str:
    errors: list[dict[str, str]] = []
    interval = _choice(params, "interval", INTERVALS, "day", errors)
    _raise(errors)
    return interval


# --- Accounts ----------------------------------------------------------------------------


def account_get(*, organization: Organization, account_id: str) -> Account:
    """Return the caller's account by external id; another tenant's is missing (404)."""
    account = (
        Account.objects.only("id", "account_id", "currency")
        .filter(organization=organization, account_id=account_id)
        .first()
    )
    if account is None:
        raise NotFound("No such account.")
    return account


# --- The one aggregate query --------------------------------------------------------------


@dataclass
class Totals:
    spend_count: int = 0
    spend_sum: Decimal = Decimal(0)
    income_count: int = 0
    income_sum: Decimal = Decimal(0)
    failed_count: int = 0
    pending_count: int = 0
    processing_count: int = 0

    def add(self, other: Totals) -> None:
        self.spend_count += other.spend_count
        self.spend_sum += other.spend_sum
        self.income_count += other.income_count
        self.income_sum += other.income_sum
        self.failed_count += other.failed_count
        self.pending_count += other.pending_count
        self.processing_count += other.processing_count

    @property
    def count(self) -> int:
        """Every row, in flight or not (in-flight rows are in the spend/income counts)."""
        return self.spend_count + self.income_count

    @property
    def terminal_count(self) -> int:
        return self.count - self.pending_count - self.processing_count


@dataclass(frozen=True)
class CategoryInfo:
    slug: str
    name: str
    primary_slug: str
    primary_name: str


@dataclass
class CategoryRow:
    account_pk: uuid.UUID
    category: CategoryInfo | None
    totals: Totals = field(default_factory=Totals)


def _db_uuid(value: uuid.UUID) -> Any:
    return value if connection.features.has_native_uuid_field else value.hex


def _db_date(value: dt.date) -> Any:
    return value if connection.vendor == "postgresql" else value.isoformat()


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _money(value: Any) -> Decimal:
    """Return a sum as an exact Decimal (SQLite hands back floats; four places is exact)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(round(value, 4))).quantize(_FOUR_PLACES)
    return Decimal(value)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _split(
    start: dt.date, end: dt.date
) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """Split [start, end] into whole months (first days, inclusive) and edge-day spans."""
    first_full = start if start.day == 1 else _next_month(start)
    after_end = end + dt.timedelta(days=1)
    last_full_next = after_end if after_end.day == 1 else _month_start(after_end)
    if first_full >= last_full_next:
        return None, [(start, end)]
    months = (first_full, _month_start(last_full_next - dt.timedelta(days=1)))
    edges = []
    if start < first_full:
        edges.append((start, first_full - dt.timedelta(days=1)))
    if last_full_next <= end:
        edges.append((last_full_next, end))
    return months, edges


_ROLLUP_COLUMNS = (
    "spend_count, spend_sum, income_count, income_sum, failed_count, "
    "0 AS pending_count, 0 AS processing_count"
)
_INFLIGHT_COLUMNS = (
    "CASE WHEN amount < 0 THEN 1 ELSE 0 END, CASE WHEN amount < 0 THEN -amount ELSE 0 END, "
    "CASE WHEN amount > 0 THEN 1 ELSE 0 END, CASE WHEN amount > 0 THEN amount ELSE 0 END, "
    "0, CASE WHEN ingestion_status = 'pending' THEN 1 ELSE 0 END, "
    "CASE WHEN ingestion_status = 'processing' THEN 1 ELSE 0 END"
)
_SUMS = (
    "SUM(spend_count), SUM(spend_sum), SUM(income_count), SUM(income_sum), "
    "SUM(failed_count), SUM(pending_count), SUM(processing_count)"
)


def _accounts_clause(
    account_pks: Sequence[uuid.UUID] | None, organization_id: uuid.UUID | None, params: list[Any]
) -> str:
    if account_pks is not None:
        params.extend(_db_uuid(pk) for pk in account_pks)
        return f"account_id IN ({', '.join(['%s'] * len(account_pks))})"
    assert organization_id is not None
    params.append(_db_uuid(organization_id))
    return "account_id IN (SELECT id FROM ingestion_account WHERE organization_id = %s)"


def _union(
    span: DateRange,
    *,
    account_pks: Sequence[uuid.UUID] | None,
    organization_id: uuid.UUID | None,
    by_date: bool,
) -> tuple[str, list[Any]]:
    """Return the UNION ALL of rollup and in-flight parts covering ``span``, and params."""
    params: list[Any] = []
    parts: list[str] = []
    if by_date:
        # A time series needs days: the daily rollup over the whole span.
        months, edges = None, [(span.start, span.end)]
    else:
        months, edges = _split(span.start, span.end)
    date_col = "date AS period" if by_date else "NULL AS period"
    if months is not None:
        accounts = _accounts_clause(account_pks, organization_id, params)
        params.extend(_db_date(m) for m in months)
        parts.append(
            f"SELECT account_id, category_key, NULL AS period, {_ROLLUP_COLUMNS} "
            f"FROM reports_monthlyrollup WHERE {accounts} "
            f"AND month >= %s AND month <= %s"
        )
    if edges:
        accounts = _accounts_clause(account_pks, organization_id, params)
        spans = " OR ".join("(date >= %s AND date <= %s)" for _ in edges)
        for edge in edges:
            params.extend(_db_date(d) for d in edge)
        parts.append(
            f"SELECT account_id, category_key, {date_col}, {_ROLLUP_COLUMNS} "
            f"FROM reports_dailyrollup WHERE {accounts} AND ({spans})"
        )
    accounts = _accounts_clause(account_pks, organization_id, params)
    params.extend([_db_date(span.start), _db_date(span.end)])
    # The status predicate is the partial index's own, so the planner can use it.
    parts.append(
        f"SELECT account_id, category_id, {date_col}, {_INFLIGHT_COLUMNS} "
        f"FROM ingestion_transaction WHERE ingestion_status IN "
        f"('pending', 'processing') AND {accounts} "
        f"AND date >= %s AND date <= %s"
    )
    return " UNION ALL ".join(parts), params


def _category_rows(
    span: DateRange,
    *,
    account_pks: Sequence[uuid.UUID] | None = None,
    organization_id: uuid.UUID | None = None,
) -> list[CategoryRow]:
    """Return totals per (account, category) over ``span``; None is uncategorised."""
    union, params = _union(
        span, account_pks=account_pks, organization_id=organization_id, by_date=False
    )
    sql = (
        f"SELECT g.account_id, g.category_key, c.slug, c.name, p.slug, p.name, g.sc, g.ss, "
        f"g.ic, g.isum, g.fc, g.pc, g.prc FROM ("
        f"SELECT account_id, category_key, SUM(spend_count) AS sc, SUM(spend_sum) AS ss, "
        f"SUM(income_count) AS ic, SUM(income_sum) AS isum, SUM(failed_count) AS fc, "
        f"SUM(pending_count) AS pc, SUM(processing_count) AS prc "
        f"FROM ({union}) u GROUP BY account_id, category_key) g "
        f"LEFT JOIN enrichment_category c ON c.id = g.category_key "
        f"LEFT JOIN enrichment_category p ON p.id = c.parent_id"
    )
    merged: dict[tuple[uuid.UUID, uuid.UUID | None], CategoryRow] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for account_pk, key, slug, name, p_slug, p_name, *sums in rows:
        category_pk = _as_uuid(key)
        if category_pk == UNCATEGORISED or slug is None:
            category_pk, info = None, None
        else:
            info = CategoryInfo(
                slug=slug, name=name, primary_slug=p_slug or slug, primary_name=p_name or name
            )
        account = _as_uuid(account_pk)
        assert account is not None
        row = merged.setdefault((account, category_pk), CategoryRow(account, info))
        row.totals.add(
            Totals(
                int(sums[0] or 0),
                _money(sums[1]),
                int(sums[2] or 0),
                _money(sums[3]),
                int(sums[4] or 0),
                int(sums[5] or 0),
                int(sums[6] or 0),
            )
        )
    return list(merged.values())


# --- Shaping -----------------------------------------------------------------------------


def _metrics(totals: Totals, currency: str) -> dict[str, Any]:
    return {
        "total_transactions": totals.count,
        "total_spend": format_money(totals.spend_sum, currency),
        "total_income": format_money(totals.income_sum, currency),
        "net": format_money(totals.income_sum - totals.spend_sum, currency),
    }


def _status(totals: Totals) -> dict[str, int]:
    return {
        "pending": totals.pending_count,
        "processing": totals.processing_count,
        "completed": totals.terminal_count - totals.failed_count,
        "failed": totals.failed_count,
    }


def _by_category(
    rows: Iterable[CategoryRow], level: str
) -> tuple[Totals, dict[tuple[str, str] | None, Totals]]:
    """Return the grand total and totals per (name, slug) at ``level``; None: uncategorised."""
    total = Totals()
    groups: dict[tuple[str, str] | None, Totals] = {}
    for row in rows:
        total.add(row.totals)
        key: tuple[str, str] | None = None
        if row.category is not None:
            key = (
                (row.category.primary_name, row.category.primary_slug)
                if level == "primary"
                else (row.category.name, row.category.slug)
            )
        groups.setdefault(key, Totals()).add(row.totals)
    return total, groups


def _top(groups: Mapping[tuple[str, str] | None, Totals], currency: str) -> list[dict[str, Any]]:
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


def _cached(account: Account, kind: str, parts: Sequence[object], compute: Any) -> Any:
    """Return ``compute()`` cached under the account's current version."""
    version = account_version(account.pk)
    key = f"report:{kind}:{account.pk}:{version}:" + ":".join(str(p) for p in parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.REPORT_CACHE_TIMEOUT)
    return value


def _range_doc(span: DateRange) -> dict[str, str]:
    return {"start": span.start.isoformat(), "end": span.end.isoformat()}


# --- Public selectors --------------------------------------------------------------------


def summary_compute(*, account: Account, span: DateRange, level: str) -> dict[str, Any]:
    """Return the SPEC §6 summary of ``account`` over ``span`` (no cache)."""
    total, groups = _by_category(_category_rows(span, account_pks=[account.pk]), level)
    currency = account.currency
    return {
        "account_id": account.account_id,
        "currency": currency or None,
        "date_range": _range_doc(span),
        "metrics": _metrics(total, currency),
        "top_categories": _top(groups, currency),
        "processing_status": _status(total),
    }


def account_summary(
    *, organization: Organization, account_id: str, span: DateRange, level: str = "primary"
) -> dict[str, Any]:
    """Return the account's summary, from the cache when its version has not moved."""
    account = account_get(organization=organization, account_id=account_id)
    return _cached(
        account,
        "summary",
        (span.start, span.end, level),
        lambda: summary_compute(account=account, span=span, level=level),
    )


def account_categories(
    *, organization: Organization, account_id: str, span: DateRange, level: str = "detailed"
) -> dict[str, Any]:
    """Return every category's spend, income, count and share of spend over ``span``."""
    account = account_get(organization=organization, account_id=account_id)

    def compute() -> dict[str, Any]:
        total, groups = _by_category(_category_rows(span, account_pks=[account.pk]), level)
        currency = account.currency
        ordered = sorted(
            groups.items(),
            key=lambda item: (item[0] is None, -item[1].spend_sum, item[0][0] if item[0] else ""),
        )
        categories = []
        for key, t in ordered:
            share = (t.spend_sum / total.spend_sum) if total.spend_sum else Decimal(0)
            categories.append(
                {
                    "category": key[0] if key else None,
                    "slug": key[1] if key else None,
                    "total_spend": format_money(t.spend_sum, currency),
                    "total_income": format_money(t.income_sum, currency),
                    "transaction_count": t.count,
                    "share_of_spend": str(share.quantize(_FOUR_PLACES)),
                }
            )
        return {
            "account_id": account.account_id,
            "currency": currency or None,
            "date_range": _range_doc(span),
            "level": level,
            "metrics": _metrics(total, currency),
            "categories": categories,
        }

    return _cached(account, "categories", (span.start, span.end, level), compute)


def _period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return _month_start(day)
    return day


def _periods(span: DateRange, interval: str) -> list[tuple[dt.date, dt.date]]:
    periods = []
    cursor = _period_start(span.start, interval)
    while cursor <= span.end:
        if interval == "day":
            nxt = cursor + dt.timedelta(days=1)
        elif interval == "week":
            nxt = cursor + dt.timedelta(days=7)
        else:
            nxt = _next_month(cursor)
        periods.append((max(cursor, span.start), min(nxt - dt.timedelta(days=1), span.end)))
        cursor = nxt
    return periods


def account_timeseries(
    *, organization: Organization, account_id: str, span: DateRange, interval: str = "day"
) -> dict[str, Any]:
    """Return spend, income, net and count per period; empty periods are zeros."""
    account = account_get(organization=organization, account_id=account_id)

    def compute() -> dict[str, Any]:
        union, params = _union(span, account_pks=[account.pk], organization_id=None, by_date=True)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT period, {_SUMS} FROM ({union}) u GROUP BY period", params)
            rows = cursor.fetchall()
        buckets: dict[dt.date, Totals] = {}
        for period, *sums in rows:
            start = _period_start(_as_date(period), interval)
            buckets.setdefault(start, Totals()).add(
                Totals(
                    int(sums[0] or 0),
                    _money(sums[1]),
                    int(sums[2] or 0),
                    _money(sums[3]),
                    int(sums[4] or 0),
                    int(sums[5] or 0),
                    int(sums[6] or 0),
                )
            )
        currency = account.currency
        series = []
        for start, end in _periods(span, interval):
            t = buckets.get(_period_start(start, interval), Totals())
            series.append(
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "spend": format_money(t.spend_sum, currency),
                    "income": format_money(t.income_sum, currency),
                    "net": format_money(t.income_sum - t.spend_sum, currency),
                    "transaction_count": t.count,
                }
            )
        return {
            "account_id": account.account_id,
            "currency": currency or None,
            "date_range": _range_doc(span),
            "interval": interval,
            "series": series,
        }

    return _cached(account, "timeseries", (span.start, span.end, interval), compute)


def organization_summary(
    *, organization: Organization, span: DateRange, level: str = "primary"
) -> dict[str, Any]:
    """Return the organization's totals per currency; currencies are never added together."""
    currencies = dict(
        Account.objects.filter(organization=organization).values_list("id", "currency")
    )
    per_currency: dict[str, list[CategoryRow]] = {}
    accounts: dict[str, set[uuid.UUID]] = {}
    for row in _category_rows(span, organization_id=organization.pk):
        code = currencies.get(row.account_pk) or ""
        per_currency.setdefault(code, []).append(row)
        accounts.setdefault(code, set()).add(row.account_pk)
    out = []
    for code in sorted(per_currency):
        total, groups = _by_category(per_currency[code], level)
        out.append(
            {
                "currency": code or None,
                "accounts": len(accounts[code]),
                "metrics": _metrics(total, code),
                "top_categories": _top(groups, code),
                "processing_status": _status(total),
            }
        )
    return {"date_range": _range_doc(span), "currencies": out}
