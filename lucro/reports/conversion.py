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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from lucro.reports.dayvectors import DAYS, ScaledRates, VectorRows, vector_totals
from lucro.reports.models import UNCATEGORISED
from lucro.reports.queries import (
    DATE_FIELD,
    UUID_FIELD,
    CategoryFilter,
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
        categories: CategoryFilter | None = None,
        by_account: bool = False,
        scale: Callable[[], ScaledRates] | None = None,
    ) -> list[ConvertedRow]:
        """Return the figures per (account, category) — or per (account, day) — of span.

        ``currencies`` maps every account the figures may come from to its currency.
        ``categories``: only those rows; ``by_account``: one figure per account (its
        ``category`` None), not per category (neither with ``by_day``). ``scale``: the
        rates of ``span`` as ``ScaledRates``, when the caller keeps them (``rateblocks``)."""
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
        categories: CategoryFilter | None = None,
        by_account: bool = False,
        scale: Callable[[], ScaledRates] | None = None,
    ) -> list[ConvertedRow]:
        if not by_day:
            return _from_vectors(span, rates, currencies, categories, by_account, scale)
        assert categories is None and not by_account
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


# The day vectors of the range's months, as one row of byte strings, a column each (no
# Python object per month row: numpy reads each string whole). Per month row: the account
# as its position in the list passed, the category key, the month as days from the range's
# first day, the month's three counts, its days' sums (``amounts_wire``), and its day
# counts where a month's totals will not do (a month the range cuts, or any month when
# some day lacks a rate: ``cut``). All aggregates of one SELECT read the rows in one order,
# so the i-th of each belong together. A month whose vector overflowed (NULL) comes apart,
# as arrays, to be read from the daily rollup.
_VECTORS_SQL = """
WITH v AS (
    SELECT v.*, %(by_day)s OR v.month < %(first_whole)s OR v.month > %(last_whole)s AS cut
    FROM reports_monthlydays v
    WHERE v.account_id = ANY(%(accounts)s::uuid[])
      AND v.month >= %(first)s AND v.month <= %(last)s AND {categories}
)
SELECT string_agg(int4send(array_position(%(accounts)s::uuid[], v.account_id)), ''::bytea)
           FILTER (WHERE v.amounts_wire IS NOT NULL),
       string_agg(uuid_send(v.category_key), ''::bytea) FILTER (WHERE v.amounts_wire IS NOT NULL),
       string_agg(int4send(v.month - %(start)s::date), ''::bytea)
           FILTER (WHERE v.amounts_wire IS NOT NULL),
       string_agg(int8send(v.spend_count), ''::bytea) FILTER (WHERE v.amounts_wire IS NOT NULL),
       string_agg(int8send(v.income_count), ''::bytea) FILTER (WHERE v.amounts_wire IS NOT NULL),
       string_agg(int8send(v.failed_count), ''::bytea) FILTER (WHERE v.amounts_wire IS NOT NULL),
       string_agg(v.amounts_wire, ''::bytea),
       string_agg(CASE WHEN v.cut THEN v.counts_wire END, ''::bytea),
       array_agg(v.account_id) FILTER (WHERE v.amounts_wire IS NULL),
       array_agg(v.category_key) FILTER (WHERE v.amounts_wire IS NULL),
       array_agg(v.month) FILTER (WHERE v.amounts_wire IS NULL)
FROM v
"""
# The categories of those rows, asked without waiting for them: the keys come from the
# primary key's index alone (no heap visit), once (an array, not a semi-join the planner
# would run once per category).
_CATEGORIES_SQL = """
SELECT c.id::text, c.slug, c.name, p.slug, p.name
FROM enrichment_category c LEFT JOIN enrichment_category p ON p.id = c.parent_id
WHERE c.id = ANY(ARRAY(
    SELECT DISTINCT v.category_key FROM reports_monthlydays v
    WHERE v.account_id = ANY(%(accounts)s::uuid[])
      AND v.month >= %(first)s AND v.month <= %(last)s
))
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
    span: DateRange,
    rates: Rates,
    currencies: Mapping[uuid.UUID, str],
    categories: CategoryFilter | None = None,
    by_account: bool = False,
    scale: Callable[[], ScaledRates] | None = None,
) -> list[ConvertedRow]:
    """Return the figures per (account, category) of ``span`` from the day vectors.

    Native, converted and unconverted figures all come from the vectors (``dayvectors``):
    ≈ 12 month rows per account and category for a year, aggregated by the server into a
    few byte strings (``_VECTORS_SQL``, a binary cursor: Django's client-side cursors
    return text only), multiplied exactly in numpy.
    Rows still in flight and any month whose vector overflowed are read per day and
    converted with ``Decimal`` (few rows).
    """
    accounts = list(currencies)
    if not accounts:
        return []
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

    days = (span.end - span.start).days + 1
    in_range = {span.start + dt.timedelta(days=i) for i in range(days)}
    sources = {code: rates.get(code, {}) for code in set(currencies.values())}
    complete = all(by_day.keys() >= in_range for by_day in sources.values())
    whole, _edges = split_months(span.start, span.end)
    every_day = whole is None or not complete  # every month's day counts are needed
    first_whole, last_whole = whole if whole else (span.start, span.start)
    where = {
        "accounts": accounts,
        "start": span.start,
        "first": month_start(span.start),
        "last": month_start(span.end),
        "by_day": every_day,
        "first_whole": first_whole,
        "last_whole": last_whole,
    }
    only = categories or CategoryFilter()
    vectors_sql = _VECTORS_SQL.replace("{categories}", only.sql("v.category_key", where))
    # Rows enrichment has not finished: few, read through the partial index, per day.
    inflight_params: list[Any] = []
    inflight = inflight_part(
        span, account_pks=accounts, organization_id=None, by_date=True, params=inflight_params
    )
    inflight = f"SELECT * FROM ({inflight}) i WHERE {only.sql('i.category_key', inflight_params)}"
    connection.ensure_connection()
    raw = connection.connection
    # One round trip for the three queries (pipeline mode): the server reads the vectors
    # while this process scales the rates. Psycopg cursors on Django's connection (its
    # own return text only); never prepared, as Django's: safe behind a transaction pooler.
    with (
        raw.pipeline(),
        psycopg.Cursor(raw) as vectors,
        psycopg.Cursor(raw) as names,
        psycopg.Cursor(raw) as flying,
    ):
        vectors.execute(vectors_sql, where, binary=True, prepare=False)
        if not by_account:  # else: no category is shown
            names.execute(_CATEGORIES_SQL, where, prepare=False)
        flying.execute(
            f"SELECT u.account_id, u.category_key, u.period, {_SUMS}, "
            "c.slug, c.name, p.slug, p.name "
            f"FROM ({inflight}) u LEFT JOIN enrichment_category c ON c.id = u.category_key "
            "LEFT JOIN enrichment_category p ON p.id = c.parent_id "
            "GROUP BY 1, 2, 3, c.slug, c.name, p.slug, p.name",
            inflight_params,
            prepare=False,
        )
        scaled = scale() if scale is not None else ScaledRates.build(sources, span.start, days)
        fetched = vectors.fetchone()
        assert fetched is not None  # an aggregate: always one row
        infos: dict[uuid.UUID, CategoryInfo | None] = {}
        for key, *info in [] if by_account else names.fetchall():
            infos[uuid.UUID(key)] = _category(key, *info)
        in_flight = flying.fetchall()
    positions_, keys, offsets, spends, incomes, fails, amounts, day_counts = fetched[:8]
    overflowed = fetched[8:]
    wide = list(zip(*overflowed, strict=True)) if overflowed[0] else []
    if keys:
        positions = np.frombuffer(positions_, dtype=">i4").astype(np.intp)
        n = len(positions)
        # Rows of one (account, category) are one group: 20 bytes of position and key
        # (by_account: the position alone).
        ident = np.concatenate(
            [
                positions.astype(">i4").view(np.uint8).reshape(n, 4),
                np.frombuffer(keys, dtype=np.uint8).reshape(n, 16)[:, : 0 if by_account else 16],
            ],
            axis=1,
        ).view("V4" if by_account else "V20")
        _, firsts, numbers = np.unique(ident.reshape(n), return_index=True, return_inverse=True)
        account_currency = np.asarray([scaled.index[currencies[pk]] for pk in accounts])
        month_counts = np.stack(
            [np.frombuffer(c, dtype=">i8") for c in (spends, incomes, fails)], axis=1
        ).astype(np.int64)
        offset = np.frombuffer(offsets, dtype=">i4").astype(np.intp)
        rows = VectorRows(
            groups=numbers.reshape(n),
            offsets=offset,
            currencies=account_currency[positions - 1],
            amounts=np.frombuffer(amounts, dtype=">i8").astype(np.int64).reshape(n, 2, DAYS),
            month_counts=month_counts,
            by_day=np.flatnonzero(
                every_day
                | (offset < (first_whole - span.start).days)
                | (offset > (last_whole - span.start).days)
            ),
            day_counts=np.frombuffer(day_counts or b"", dtype=">i4")
            .astype(np.int64)
            .reshape(-1, 3, DAYS),
        )
        for first, figure in zip(firsts.tolist(), vector_totals(rows, scaled), strict=True):
            if not figure.native.count:
                continue  # a month of the range with no row on the range's days
            account_pk = accounts[positions[first] - 1]
            category = (
                None
                if by_account
                else infos.get(uuid.UUID(bytes=keys[16 * first : 16 * first + 16]))
            )
            row = groups.get((account_pk, category))
            if row is None:  # the usual case: no addition needed
                groups[(account_pk, category)] = ConvertedRow(
                    currency=currencies[account_pk],
                    account_pk=account_pk,
                    category=category,
                    day=None,
                    native=figure.native,
                    converted=figure.converted,
                    unconverted=figure.unconverted,
                )
            else:  # two keys without a category (uncategorised, one since removed)
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
                        infos.get(key),
                        DATE_FIELD.to_python(day),
                        Totals.from_sums(sums),
                    )
                )
    for account_pk, key, day, *rest in in_flight:
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
        row = group(account_pk, None if by_account else category)
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
        categories: CategoryFilter | None = None,
        by_account: bool = False,
        scale: Callable[[], ScaledRates] | None = None,
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
            if categories is not None and not categories.matches(category):
                continue
            if by_account:
                category = None
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
