"""The one aggregate query behind every report: rollups plus in-flight rows, in SQL.

Every figure is ``rollups (terminal rows) + raw in-flight rows``, read in one SQL
statement so both parts come from the same snapshot:

- full calendar months of the range from ``reports_monthlyrollup``;
- the edge days (a range that starts or ends mid-month) from ``reports_dailyrollup``;
- rows still ``pending`` / ``processing`` straight from ``ingestion_transaction``, through
  the partial index ``txn_inflight_account`` (few rows: only those enrichment has not
  finished).

Soft-deleted rows are in neither part (the rollup triggers do not count them), and a
deleted account is left out of an organization's accounts; one account's reports are
reached only through a live account (``selectors.account_get``).

A one-year range of a heavy account reads ≈ 12 monthly and ≤ 60 daily rows per category
instead of hundreds of thousands of transactions (SPEC §8).

The SQL is the same on both databases; values cross the boundary through Django's own
adapters (``connection.ops``, the model fields), so nothing here asks which database it is.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models

from lucro.reports.models import UNCATEGORISED

_FOUR_PLACES = Decimal("0.0001")
# Wide enough that sums of converted amounts (4-place amounts × rates of up to 28 digits)
# are never rounded before the one rounding at the end.
_EXACT = decimal.Context(prec=80)
# Field instances used only for their value conversions (to and from the database).
UUID_FIELD = models.UUIDField()
DATE_FIELD = models.DateField()


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of days."""

    start: dt.date
    end: dt.date


@dataclass
class Totals:
    """Counts and sums of a set of rows (sums positive: spend is money out)."""

    spend_count: int = 0
    spend_sum: Decimal = Decimal(0)
    income_count: int = 0
    income_sum: Decimal = Decimal(0)
    failed_count: int = 0
    pending_count: int = 0
    processing_count: int = 0

    @classmethod
    def from_sums(cls, sums: Sequence[Any]) -> Totals:
        """Return the totals of one result row's seven SUM columns (NULL: nothing)."""
        return cls(
            int(sums[0] or 0),
            _money(sums[1]),
            int(sums[2] or 0),
            _money(sums[3]),
            int(sums[4] or 0),
            int(sums[5] or 0),
            int(sums[6] or 0),
        )

    def add(self, other: Totals) -> None:
        self.spend_count += other.spend_count
        # Exact: a converted sum carries every decimal place until the one rounding.
        self.spend_sum = _EXACT.add(self.spend_sum, other.spend_sum)
        self.income_count += other.income_count
        self.income_sum = _EXACT.add(self.income_sum, other.income_sum)
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


# The ids of the categories a slug names: itself and, for a primary, its detailed ones.
_NAMED = (
    "SELECT c.id FROM enrichment_category c "
    "LEFT JOIN enrichment_category p ON p.id = c.parent_id WHERE {}"
)


@dataclass(frozen=True)
class CategoryFilter:
    """The rows of one category (``slug``: a primary and its detailed ones, or one detailed
    category), or of every category but some primaries (``slug`` None, ``excluded``: their
    slugs; uncategorised rows are kept)."""

    slug: str | None = None
    excluded: frozenset[str] = frozenset()

    def matches(self, category: CategoryInfo | None) -> bool:
        if self.slug is None:
            return category is None or category.primary_slug not in self.excluded
        return category is not None and self.slug in (category.slug, category.primary_slug)

    def sql(self, column: str, params: list[Any] | dict[str, Any]) -> str:
        """Return the condition on a category key ``column``, its parameters added to
        ``params`` (a list: positional ``%s``; a dict: named, ``cat_slug``/``cat_excluded``)."""
        named = isinstance(params, dict)
        if self.slug is not None:
            if isinstance(params, dict):
                params["cat_slug"] = self.slug
            else:
                params.extend([self.slug, self.slug])
            slug = "%(cat_slug)s" if named else "%s"
            return f"{column} IN ({_NAMED.format(f'c.slug = {slug} OR p.slug = {slug}')})"
        if not self.excluded:
            return "TRUE"
        if isinstance(params, dict):
            params["cat_excluded"] = sorted(self.excluded)
        else:
            params.append(sorted(self.excluded))
        excluded = "%(cat_excluded)s" if named else "%s"
        query = _NAMED.format(f"coalesce(p.slug, c.slug) = ANY({excluded}::text[])")
        return f"({column} IS NULL OR {column} NOT IN ({query}))"


@dataclass
class CategoryRow:
    """The totals of one account in one category (None: uncategorised)."""

    account_pk: uuid.UUID
    category: CategoryInfo | None
    totals: Totals = field(default_factory=Totals)


def _db_uuid(value: uuid.UUID) -> Any:
    return UUID_FIELD.get_db_prep_value(value, connection)


def _db_date(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _money(value: Any) -> Decimal:
    """Return a sum as an exact Decimal (SQLite hands back floats; four places is exact)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(round(value, 4))).quantize(_FOUR_PLACES)
    return Decimal(value)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_months(
    start: dt.date, end: dt.date
) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """Split [start, end] into whole months (first days, inclusive) and edge-day spans."""
    first_full = start if start.day == 1 else next_month(start)
    after_end = end + dt.timedelta(days=1)
    last_full_next = after_end if after_end.day == 1 else month_start(after_end)
    if first_full >= last_full_next:
        return None, [(start, end)]
    months = (first_full, month_start(last_full_next - dt.timedelta(days=1)))
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
    "CASE WHEN amount < 0 THEN 1 ELSE 0 END AS spend_count, "
    "CASE WHEN amount < 0 THEN -amount ELSE 0 END AS spend_sum, "
    "CASE WHEN amount > 0 THEN 1 ELSE 0 END AS income_count, "
    "CASE WHEN amount > 0 THEN amount ELSE 0 END AS income_sum, "
    "0 AS failed_count, CASE WHEN ingestion_status = 'pending' THEN 1 ELSE 0 END "
    "AS pending_count, CASE WHEN ingestion_status = 'processing' THEN 1 ELSE 0 END "
    "AS processing_count"
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
    # A deleted account's rollups stay (its restore is then one row's change): skip it here.
    return (
        "account_id IN (SELECT id FROM ingestion_account WHERE organization_id = %s "
        "AND deleted_at IS NULL)"
    )


def rollup_union(
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
        months, edges = split_months(span.start, span.end)
    date_col = "date AS period" if by_date else "NULL AS period"
    if months is not None:
        accounts = _accounts_clause(account_pks, organization_id, params)
        params.extend(_db_date(m) for m in months)
        parts.append(
            f"SELECT account_id, category_key, NULL AS period, {_ROLLUP_COLUMNS} "
            f"FROM reports_monthlyrollup WHERE {accounts} "
            f"AND month >= %s AND month <= %s"
        )
    # Over several accounts, one part per edge: a range the index seeks to in each account.
    # An OR of the two ranges reads every day of every account and filters them: 4× slower
    # for an organization of five accounts (40 → 10 ms, a year of 1 000 000 rows), and
    # ≈ 0.2 ms faster for one account (one part less to plan), so one account keeps it.
    one_part = account_pks is not None and len(account_pks) == 1
    for group in [edges] if one_part and edges else [[edge] for edge in edges]:
        accounts = _accounts_clause(account_pks, organization_id, params)
        spans = " OR ".join("(date >= %s AND date <= %s)" for _ in group)
        for edge in group:
            params.extend(_db_date(d) for d in edge)
        parts.append(
            f"SELECT account_id, category_key, {date_col}, {_ROLLUP_COLUMNS} "
            f"FROM reports_dailyrollup WHERE {accounts} AND ({spans})"
        )
    parts.append(
        inflight_part(
            span,
            account_pks=account_pks,
            organization_id=organization_id,
            by_date=by_date,
            params=params,
        )
    )
    return " UNION ALL ".join(parts), params


def inflight_part(
    span: DateRange,
    *,
    account_pks: Sequence[uuid.UUID] | None,
    organization_id: uuid.UUID | None,
    by_date: bool,
    params: list[Any],
) -> str:
    """Return the SELECT of the rows still in flight in ``span`` (appending its params), in
    the rollups' columns: account_id, category_key (NULL: none), period, the seven sums."""
    accounts = _accounts_clause(account_pks, organization_id, params)
    params.extend([_db_date(span.start), _db_date(span.end)])
    date_col = "date AS period" if by_date else "NULL AS period"
    # The status predicate is the partial index's own, so the planner can use it; a deleted
    # row is filtered on the few in-flight rows the index finds.
    return (
        f"SELECT account_id, category_id AS category_key, {date_col}, {_INFLIGHT_COLUMNS} "
        f"FROM ingestion_transaction WHERE ingestion_status IN "
        f"('pending', 'processing') AND {accounts} "
        f"AND date >= %s AND date <= %s AND deleted_at IS NULL"
    )


def category_rows(
    span: DateRange,
    *,
    account_pks: Sequence[uuid.UUID] | None = None,
    organization_id: uuid.UUID | None = None,
) -> list[CategoryRow]:
    """Return totals per (account, category) over ``span``; None is uncategorised."""
    union, params = rollup_union(
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
        category_pk = UUID_FIELD.to_python(key)
        if category_pk == UNCATEGORISED or slug is None:
            category_pk, info = None, None
        else:
            info = CategoryInfo(
                slug=slug, name=name, primary_slug=p_slug or slug, primary_name=p_name or name
            )
        account = UUID_FIELD.to_python(account_pk)
        row = merged.setdefault((account, category_pk), CategoryRow(account, info))
        row.totals.add(Totals.from_sums(sums))
    return list(merged.values())


def day_rows(span: DateRange, *, account_pk: uuid.UUID) -> list[tuple[dt.date, Totals]]:
    """Return the totals of each day of ``span`` that has rows, for one account."""
    union, params = rollup_union(span, account_pks=[account_pk], organization_id=None, by_date=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT period, {_SUMS} FROM ({union}) u GROUP BY period", params)
        rows = cursor.fetchall()
    return [(DATE_FIELD.to_python(period), Totals.from_sums(sums)) for period, *sums in rows]
