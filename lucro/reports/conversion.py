"""Reports in another currency: the daily rollups converted at each day's own rate.

A figure in currency T over a range is Σ over days d and rows of ``amount × rate(d)``,
where ``rate(d)`` is the rate of 1 unit of the row's currency in T on day d
(``lucro.fx.selectors.rates_daily``: the latest on or before d, at most
FX_MAX_STALENESS_DAYS old, direct, inverse or cross). Multiplication distributes over the
sum, so converting each (account, day, category) rollup row equals converting every
transaction one by one — without reading them: a year is at most 366 daily rows per
account and category, plus the few rows still in flight. Nothing converted is stored (a
rate uploaded or corrected later would leave it stale); the converted sums are rounded once,
at the end, to T's minor units (``format_money``).

A row whose day has no rate is **not** converted, and not dropped: it is counted, in its own
currency, under ``unconverted``.

One interface, one implementation per database, chosen once (as ``rollups_for``):

- ``PostgresConversion``: per (account, category), from the day vectors the rollup
  triggers keep (``reports_monthlydays``: a month's 31 days in one row), read as bytes in
  one binary query and multiplied exactly in numpy integers (``dayvectors``): a year of a
  heavy organization is ≈ 2 000 rows instead of 55 000 daily ones. The time series (per
  day) joins the rates, sent as three arrays (``unnest``), to the daily rollup in SQL, in
  exact ``numeric``.
- ``PortableConversion`` (SQLite): the same union grouped by day comes back, and the
  products are taken in Python with ``Decimal`` (SQLite's arithmetic is binary floating
  point: a product of two decimals there is not exact).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from lucro.reports.dayvectors import ScaledRates, VectorRows, vector_totals
from lucro.reports.models import UNCATEGORISED
from lucro.reports.queries import (
    DATE_FIELD,
    UUID_FIELD,
    CategoryInfo,
    DateRange,
    Totals,
    inflight_part,
    month_start,
    next_month,
    rollup_union,
    split_months,
)

_DAY = dt.timedelta(days=1)

# Products of a 4-place amount and a 12-place rate, summed over many rows: wide enough
# that nothing is rounded before the one rounding at the end.
_EXACT = decimal.Context(prec=60)

# rates[currency][day] = units of the target currency per unit of ``currency`` on ``day``.
Rates = Mapping[str, Mapping[dt.date, Decimal]]


@dataclass
class ConvertedRow:
    """One group's figures: all its rows in their own currency, the converted ones in the
    target currency, and the unconverted ones (no rate that day) in their own currency."""

    currency: str
    account_pk: uuid.UUID
    category: CategoryInfo | None
    day: dt.date | None
    native: Totals = field(default_factory=Totals)
    converted: Totals = field(default_factory=Totals)
    unconverted: Totals = field(default_factory=Totals)


# The union's columns, in order: spend_count, spend_sum, income_count, income_sum,
# failed_count, pending_count, processing_count.
_SUMS = (
    "SUM(u.spend_count), SUM(u.spend_sum), SUM(u.income_count), SUM(u.income_sum), "
    "SUM(u.failed_count), SUM(u.pending_count), SUM(u.processing_count)"
)


def _category(key: Any, slug: Any, name: Any, p_slug: Any, p_name: Any) -> CategoryInfo | None:
    if UUID_FIELD.to_python(key) == UNCATEGORISED or slug is None:
        return None
    return CategoryInfo(
        slug=slug, name=name, primary_slug=p_slug or slug, primary_name=p_name or name
    )


class Conversion:
    """The converted aggregate of one database; subclasses hold its SQL."""

    vendor: ClassVar[str]

    def rows(
        self,
        span: DateRange,
        *,
        rates: Rates,
        currencies: Mapping[uuid.UUID, str],
        account_pks: Sequence[uuid.UUID] | None = None,
        organization_id: uuid.UUID | None = None,
        by_day: bool = False,
    ) -> list[ConvertedRow]:
        """Return the figures per (account, category) — or per (account, day) — of span.

        ``currencies`` maps every account the figures may come from to its currency."""
        raise NotImplementedError


class PostgresConversion(Conversion):
    vendor = "postgresql"

    def rows(
        self,
        span: DateRange,
        *,
        rates: Rates,
        currencies: Mapping[uuid.UUID, str],
        account_pks: Sequence[uuid.UUID] | None = None,
        organization_id: uuid.UUID | None = None,
        by_day: bool = False,
    ) -> list[ConvertedRow]:
        if not by_day:
            return _from_vectors(span, rates, currencies)
        union, params = rollup_union(
            span, account_pks=account_pks, organization_id=organization_id, by_date=True
        )
        codes: list[str] = []
        days: list[dt.date] = []
        values: list[str] = []
        for currency, by_date in rates.items():
            for day, rate in by_date.items():
                codes.append(currency)
                days.append(day)
                values.append(str(rate))
        converted = (
            "SUM(CASE WHEN r.rate IS NOT NULL THEN u.spend_count END), "
            "SUM(u.spend_sum * r.rate), "
            "SUM(CASE WHEN r.rate IS NOT NULL THEN u.income_count END), "
            "SUM(u.income_sum * r.rate), "
            "SUM(CASE WHEN r.rate IS NOT NULL THEN u.failed_count END), "
            "SUM(CASE WHEN r.rate IS NOT NULL THEN u.pending_count END), "
            "SUM(CASE WHEN r.rate IS NOT NULL THEN u.processing_count END)"
        )
        missing = ", ".join(
            f"SUM(CASE WHEN r.rate IS NULL THEN u.{c} END)"
            for c in (
                "spend_count",
                "spend_sum",
                "income_count",
                "income_sum",
                "failed_count",
                "pending_count",
                "processing_count",
            )
        )
        sql = (
            "WITH r(currency, day, rate) AS ("
            "SELECT * FROM unnest(%s::text[], %s::date[], %s::numeric[])), "
            f"u AS ({union}) "
            f"SELECT a.currency, u.account_id, u.period, {_SUMS}, {converted}, {missing} "
            "FROM u JOIN ingestion_account a ON a.id = u.account_id "
            "LEFT JOIN r ON r.currency = a.currency AND r.day = u.period "
            "GROUP BY a.currency, u.account_id, u.period"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [codes, days, values, *params])
            fetched = cursor.fetchall()
        out = []
        for currency, account_pk, key, *sums in fetched:
            native, conv, miss = sums[:7], sums[7:14], sums[14:21]
            out.append(
                ConvertedRow(
                    currency=currency,
                    account_pk=UUID_FIELD.to_python(account_pk),
                    category=None,
                    day=DATE_FIELD.to_python(key),
                    native=Totals.from_sums(native),
                    converted=_exact_totals(conv),
                    unconverted=Totals.from_sums(miss),
                )
            )
        return out


# The day vectors of the range's months: the account as its position in the list passed,
# the month as days from the range's first day (a Python UUID or date per row costs more
# than the arithmetic), the day counts only where a month's totals will not do.
_VECTORS_SQL = """
SELECT array_position(%(accounts)s::uuid[], v.account_id), v.category_key::text,
       v.month - %(start)s::date, v.amounts_wire,
       CASE WHEN %(by_day)s OR v.month < %(first_whole)s OR v.month > %(last_whole)s
            THEN v.counts_wire END,
       v.spend_count, v.income_count, v.failed_count
FROM reports_monthlydays v
WHERE v.account_id = ANY(%(accounts)s::uuid[]) AND v.month >= %(first)s AND v.month <= %(last)s
"""
_CATEGORIES_SQL = """
SELECT c.id::text, c.slug, c.name, p.slug, p.name
FROM enrichment_category c LEFT JOIN enrichment_category p ON p.id = c.parent_id
WHERE c.id = ANY(%s::uuid[])
"""
# A month whose vector overflowed (NULL): its days of the range, from the daily rollup.
_WIDE_SQL = """
SELECT d.account_id, d.category_key, d.date, d.spend_count, d.spend_sum, d.income_count,
       d.income_sum, d.failed_count, 0, 0
FROM reports_dailyrollup d
JOIN unnest(%s::uuid[], %s::uuid[], %s::date[], %s::date[]) AS k(a, c, lo, hi)
  ON d.account_id = k.a AND d.category_key = k.c AND d.date >= k.lo AND d.date <= k.hi
"""


def _from_vectors(
    span: DateRange, rates: Rates, currencies: Mapping[uuid.UUID, str]
) -> list[ConvertedRow]:
    """Return the figures per (account, category) of ``span`` from the day vectors.

    Native, converted and unconverted figures all come from the vectors (``dayvectors``):
    one query of ≈ 12 rows per account and category for a year, read as bytes (a binary
    cursor; Django's client-side cursors return text only), multiplied exactly in numpy.
    Rows still in flight and any month whose vector overflowed are read per day and
    converted with ``Decimal`` (few rows).
    """
    accounts = list(currencies)
    groups: dict[tuple[uuid.UUID, CategoryInfo | None], ConvertedRow] = {}

    def group(account_pk: uuid.UUID, category: CategoryInfo | None) -> ConvertedRow:
        row = groups.get((account_pk, category))
        if row is None:
            row = groups[(account_pk, category)] = ConvertedRow(
                currency=currencies.get(account_pk, ""),
                account_pk=account_pk,
                category=category,
                day=None,
            )
        return row

    scaled = ScaledRates.build(
        {code: rates.get(code, {}) for code in set(currencies.values())},
        span.start,
        (span.end - span.start).days + 1,
    )
    whole, _edges = split_months(span.start, span.end)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as binary:
        binary.execute(
            _VECTORS_SQL,
            {
                "accounts": accounts,
                "start": span.start,
                "first": month_start(span.start),
                "last": month_start(span.end),
                "by_day": whole is None or not scaled.complete,
                "first_whole": whole[0] if whole else span.start,
                "last_whole": whole[1] if whole else span.start,
            },
            binary=True,
            prepare=False,  # as Django's own cursors: safe behind a transaction pooler
        )
        fetched = binary.fetchall()
    keys = {row[1] for row in fetched}
    infos: dict[uuid.UUID, CategoryInfo | None] = dict.fromkeys(map(uuid.UUID, keys))
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(_CATEGORIES_SQL, [list(keys)])
            for key, *info in cursor.fetchall():
                infos[uuid.UUID(key)] = _category(key, *info)
    wide = [
        (accounts[row[0] - 1], uuid.UUID(row[1]), span.start + dt.timedelta(days=row[2]))
        for row in fetched
        if row[3] is None  # overflowed: that month from the daily rollup
    ]
    full = [row for row in fetched if row[3] is not None] if wide else fetched
    numbers: dict[tuple[int, str], int] = {}
    rows = VectorRows([], [], [], [], [], [])
    if full:
        positions, keys_, offsets, amounts, counts, *month_counts = zip(*full, strict=True)
        account_currency = [scaled.index[currencies[pk]] for pk in accounts]
        rows = VectorRows(
            groups=[
                numbers.setdefault(k, len(numbers)) for k in zip(positions, keys_, strict=True)
            ],
            offsets=list(offsets),
            currencies=[account_currency[p - 1] for p in positions],
            amounts=list(amounts),
            counts=list(counts),
            month_counts=list(zip(*month_counts, strict=True)),
        )
    for ((position, key), _), figure in zip(
        sorted(numbers.items(), key=lambda item: item[1]), vector_totals(rows, scaled), strict=True
    ):
        if not figure.native.count:
            continue  # a month of the range with no row on the range's days
        row = group(accounts[position - 1], infos[uuid.UUID(key)])
        row.native.add(figure.native)
        row.converted.add(figure.converted)
        row.unconverted.add(figure.unconverted)
    per_day: list[tuple[uuid.UUID, CategoryInfo | None, dt.date, Totals]] = []
    if wide:
        spans = [list(col) for col in zip(*_month_spans(wide, span), strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(_WIDE_SQL, spans)
            for account_pk, key, day, *sums in cursor.fetchall():
                key = UUID_FIELD.to_python(key)
                per_day.append(
                    (
                        UUID_FIELD.to_python(account_pk),
                        infos[key],
                        DATE_FIELD.to_python(day),
                        Totals.from_sums(sums),
                    )
                )
    # Rows enrichment has not finished: few, read through the partial index, per day.
    params: list[Any] = []
    inflight = inflight_part(
        span, account_pks=accounts, organization_id=None, by_date=True, params=params
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.account_id, u.category_key, u.period, {_SUMS}, "
            "c.slug, c.name, p.slug, p.name "
            f"FROM ({inflight}) u LEFT JOIN enrichment_category c ON c.id = u.category_key "
            "LEFT JOIN enrichment_category p ON p.id = c.parent_id "
            "GROUP BY 1, 2, 3, c.slug, c.name, p.slug, p.name",
            params,
        )
        for account_pk, key, day, *rest in cursor.fetchall():
            sums, info = rest[:7], rest[7:]
            per_day.append(
                (
                    UUID_FIELD.to_python(account_pk),
                    _category(key, *info),
                    DATE_FIELD.to_python(day),
                    Totals.from_sums(sums),
                )
            )
    for account_pk, category, day, totals in per_day:
        row = group(account_pk, category)
        row.native.add(totals)
        rate = rates.get(row.currency, {}).get(day)
        if rate is None:
            row.unconverted.add(totals)
        else:
            row.converted.add(_times(totals, rate))
    return list(groups.values())


def _month_spans(
    wide: Sequence[tuple[uuid.UUID, uuid.UUID, dt.date]], span: DateRange
) -> list[tuple[uuid.UUID, uuid.UUID, dt.date, dt.date]]:
    """Return (account, category key, first day, last day) of each month within span."""
    return [
        (account_pk, key, max(month, span.start), min(next_month(month), span.end + _DAY) - _DAY)
        for account_pk, key, month in wide
    ]


def _times(totals: Totals, rate: Decimal) -> Totals:
    """Return ``totals`` with both sums converted at ``rate`` (exact, not rounded)."""
    converted = Totals(**vars(totals))
    converted.spend_sum = _EXACT.multiply(totals.spend_sum, rate)
    converted.income_sum = _EXACT.multiply(totals.income_sum, rate)
    return converted


def _exact_totals(sums: Sequence[Any]) -> Totals:
    """Totals whose sums keep every decimal place (converted, not yet rounded)."""
    totals = Totals.from_sums([sums[0], None, sums[2], None, *sums[4:]])
    totals.spend_sum = Decimal(sums[1] or 0)
    totals.income_sum = Decimal(sums[3] or 0)
    return totals


class PortableConversion(Conversion):
    vendor = "sqlite"

    def rows(
        self,
        span: DateRange,
        *,
        rates: Rates,
        currencies: Mapping[uuid.UUID, str],
        account_pks: Sequence[uuid.UUID] | None = None,
        organization_id: uuid.UUID | None = None,
        by_day: bool = False,
    ) -> list[ConvertedRow]:
        union, params = rollup_union(
            span, account_pks=account_pks, organization_id=organization_id, by_date=True
        )
        sql = (
            f"SELECT a.currency, u.account_id, u.category_key, u.period, {_SUMS}, "
            "c.slug, c.name, p.slug, p.name "
            f"FROM ({union}) u JOIN ingestion_account a ON a.id = u.account_id "
            "LEFT JOIN enrichment_category c ON c.id = u.category_key "
            "LEFT JOIN enrichment_category p ON p.id = c.parent_id "
            "GROUP BY a.currency, u.account_id, u.category_key, u.period, "
            "c.slug, c.name, p.slug, p.name"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        groups: dict[tuple[Any, ...], ConvertedRow] = {}
        for currency, raw_account, key, period, *rest in fetched:
            sums, info = rest[:7], rest[7:]
            day = DATE_FIELD.to_python(period)
            category = _category(key, *info)
            account_pk = UUID_FIELD.to_python(raw_account)
            group_key = (account_pk, day) if by_day else (account_pk, category)
            row = groups.get(group_key)
            if row is None:
                row = groups[group_key] = ConvertedRow(
                    currency=currency,
                    account_pk=account_pk,
                    category=None if by_day else category,
                    day=day if by_day else None,
                )
            totals = Totals.from_sums(sums)
            row.native.add(totals)
            rate = rates.get(currency, {}).get(day)
            if rate is None:
                row.unconverted.add(totals)
            else:
                row.converted.add(_times(totals, rate))
        return list(groups.values())


_BACKENDS: dict[str, type[Conversion]] = {
    PostgresConversion.vendor: PostgresConversion,
    PortableConversion.vendor: PortableConversion,
}


def conversion() -> Conversion:
    """Return the converted aggregate of the default database."""
    try:
        return _BACKENDS[connection.vendor]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Converted reports support {', '.join(_BACKENDS)}, not {connection.vendor}."
        ) from None
