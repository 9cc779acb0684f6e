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

- ``PostgresConversion``: the rates travel as three arrays (``unnest``) and the join,
  the products and the sums run in SQL, in exact ``numeric``.
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

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from lucro.reports.models import UNCATEGORISED
from lucro.reports.queries import (
    DATE_FIELD,
    UUID_FIELD,
    CategoryInfo,
    DateRange,
    Totals,
    rollup_union,
)

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
        account_pks: Sequence[uuid.UUID] | None = None,
        organization_id: uuid.UUID | None = None,
        by_day: bool = False,
    ) -> list[ConvertedRow]:
        """Return the figures per (account, category) — or per (account, day) — of span."""
        raise NotImplementedError


class PostgresConversion(Conversion):
    vendor = "postgresql"

    def rows(
        self,
        span: DateRange,
        *,
        rates: Rates,
        account_pks: Sequence[uuid.UUID] | None = None,
        organization_id: uuid.UUID | None = None,
        by_day: bool = False,
    ) -> list[ConvertedRow]:
        union, params = rollup_union(
            span, account_pks=account_pks, organization_id=organization_id, by_date=True
        )
        currencies: list[str] = []
        days: list[dt.date] = []
        values: list[str] = []
        for currency, by_date in rates.items():
            for day, rate in by_date.items():
                currencies.append(currency)
                days.append(day)
                values.append(str(rate))
        group = "u.period" if by_day else "u.category_key"
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
            f"u AS ({union}), "
            f"g AS (SELECT a.currency, u.account_id, {group} AS key, {_SUMS}, {converted}, "
            f"{missing} FROM u JOIN ingestion_account a ON a.id = u.account_id "
            "LEFT JOIN r ON r.currency = a.currency AND r.day = u.period "
            f"GROUP BY a.currency, u.account_id, {group}) "
        )
        if by_day:
            sql += "SELECT g.*, NULL, NULL, NULL, NULL FROM g"
        else:
            sql += (
                "SELECT g.*, c.slug, c.name, p.slug, p.name FROM g "
                "LEFT JOIN enrichment_category c ON c.id = g.key "
                "LEFT JOIN enrichment_category p ON p.id = c.parent_id"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [currencies, days, values, *params])
            fetched = cursor.fetchall()
        out = []
        for currency, account_pk, key, *sums in fetched:
            native, conv, miss, info = sums[:7], sums[7:14], sums[14:21], sums[21:]
            out.append(
                ConvertedRow(
                    currency=currency,
                    account_pk=UUID_FIELD.to_python(account_pk),
                    category=None if by_day else _category(key, *info),
                    day=DATE_FIELD.to_python(key) if by_day else None,
                    native=Totals.from_sums(native),
                    converted=_exact_totals(conv),
                    unconverted=Totals.from_sums(miss),
                )
            )
        return out


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
                continue
            converted = Totals.from_sums(sums)
            converted.spend_sum = _EXACT.multiply(totals.spend_sum, rate)
            converted.income_sum = _EXACT.multiply(totals.income_sum, rate)
            row.converted.spend_sum = _EXACT.add(row.converted.spend_sum, converted.spend_sum)
            row.converted.income_sum = _EXACT.add(row.converted.income_sum, converted.income_sum)
            converted.spend_sum = converted.income_sum = Decimal(0)
            row.converted.add(converted)
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
