"""The exchange rates' storage seam: one interface, one implementation per kind of database.

``rates_store()`` picks the implementation once from the connection's vendor (as
``reports.rollups.rollups_for`` does); no call site asks which database it is on.

- ``PostgresRatesStore``: binary ``COPY`` into a session-local staging table, then one
  ``INSERT … ON CONFLICT … DO UPDATE … WHERE rate IS DISTINCT FROM`` whose ``RETURNING``
  gives created and updated (and what they touched) in the same statement. The ECB file
  (≈ 200 000 rows) loads in a few seconds; a second load writes nothing.
- ``PortableRatesStore`` (SQLite): reads the rows that exist first (the ORM), then writes
  only the new and the changed ones, with a plain ``INSERT`` / ``UPDATE`` through
  ``executemany``. Django's ``bulk_create(update_conflicts=True)`` cannot serve here: it
  writes ``ON CONFLICT (base, quote, date)`` without the ``WHERE organization_id IS NULL``
  that a partial unique index needs to be a conflict target, which SQLite (and
  PostgreSQL) refuse; it could not tell created from updated from unchanged; and plain
  ``bulk_create`` was 8× slower (below).

Both read the rows of a date window that a resolution needs (``window``): one query on
PostgreSQL, two elsewhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q, QuerySet

from lucro.fx.models import SHARED_BASE, ExchangeRate


class RateIn(NamedTuple):
    """One rate to store: 1 ``base`` = ``rate`` ``quote`` on ``date``."""

    date: dt.date
    base: str
    quote: str
    rate: Decimal


# One row of a window: base, quote, its date as days after the window's start, rate (and
# possibly more columns after those).
DayRate = tuple[Any, ...]


class Window(NamedTuple):
    """The rows of a date window: the shared ones and the organization's own (unordered)."""

    shared: list[DayRate]
    own: list[DayRate]


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did; ``currencies`` and the dates are those of the rows it wrote."""

    created: int
    updated: int
    unchanged: int
    currencies: frozenset[str]
    first: dt.date | None
    last: dt.date | None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _unique(rows: Iterable[RateIn]) -> dict[tuple[dt.date, str, str], Decimal]:
    """Return the rows by key; a key given twice keeps its last rate (one row per key)."""
    return {(r.date, r.base, r.quote): r.rate for r in rows}


class RatesStore:
    """Write and read exchange rates (one instance per database vendor)."""

    def upsert(
        self,
        *,
        organization_id: uuid.UUID | None,
        source: str,
        rows: Iterable[RateIn],
        now: dt.datetime,
    ) -> UpsertResult:
        """Create or update the organization's (None: the shared) rows; count what changed.

        A row whose rate is already stored is left alone (its source too): loading the
        same data again writes nothing. Call inside a transaction.
        """
        raise NotImplementedError

    def window(
        self,
        *,
        organization_id: uuid.UUID | None,
        currencies: Collection[str],
        start: dt.date,
        end: dt.date,
    ) -> Window:
        """Return the rows dated within [start, end] that a resolution may use.

        All the organization's own rows of the window, and the shared rows (all
        ``SHARED_BASE``-based: a constraint) quoting ``currencies`` or a currency the
        organization's rows name; dates as days after ``start`` (what
        ``selectors.rates_daily`` indexes by).
        """
        raise NotImplementedError


# --- PostgreSQL ------------------------------------------------------------------------

_CREATE_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS fx_rate_stage "
    "(date date NOT NULL, base text NOT NULL, quote text NOT NULL, rate numeric NOT NULL) "
    "ON COMMIT DELETE ROWS"
)
_STAGE_TYPES = ("date", "text", "text", "numeric")
_CONFLICT = {
    True: "(base, quote, date) WHERE organization_id IS NULL",
    False: "(organization_id, base, quote, date) WHERE organization_id IS NOT NULL",
}


def _upsert_sql(shared: bool) -> str:
    # Rows in key order, so two writers of overlapping rates lock them in the same order.
    return f"""
WITH written AS (
    INSERT INTO fx_exchangerate AS r
        (organization_id, date, base, quote, rate, source, created_at, updated_at)
    SELECT %(organization_id)s, s.date, s.base, s.quote, s.rate, %(source)s, %(now)s, %(now)s
    FROM fx_rate_stage s
    ORDER BY s.base, s.quote, s.date
    ON CONFLICT {_CONFLICT[shared]} DO UPDATE SET
        rate = EXCLUDED.rate, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
    WHERE r.rate IS DISTINCT FROM EXCLUDED.rate
    RETURNING (xmax = 0) AS inserted, r.date, r.base, r.quote
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       min(date), max(date),
       (SELECT array_agg(DISTINCT c) FROM (SELECT base FROM written UNION SELECT quote
                                           FROM written) AS touched (c))
FROM written
"""


# One round trip: the organization's rows of the window, and the shared rows quoting the
# currencies asked for or one the organization's rows name (an InitPlan array, still an
# index condition). Index scans on fx_rate_org_unique and fx_rate_lookup, with one base
# (the shared rows' only one) rather than a base per currency, which doubled the index
# descents: ≈ 0.5 ms on the server for a year of 6 pairs (1 500 rows). Unsorted: an ORDER
# BY cost as much again (the text columns' collation); the caller groups the rows. The
# last column tells the organization's rows (true) from the shared ones.
_WINDOW = """
WITH own AS (
    SELECT base, quote, date - %(start)s AS day, rate FROM fx_exchangerate
    WHERE organization_id = %(organization_id)s AND date BETWEEN %(start)s AND %(end)s
)
SELECT base, quote, day, rate, true FROM own
UNION ALL
SELECT base, quote, date - %(start)s, rate, false FROM fx_exchangerate
WHERE organization_id IS NULL AND base = %(base)s
  AND quote = ANY(%(codes)s::text[] || ARRAY(SELECT base FROM own UNION SELECT quote FROM own))
  AND date BETWEEN %(start)s AND %(end)s
"""
_OWN = itemgetter(4)


class PostgresRatesStore(RatesStore):
    def upsert(
        self,
        *,
        organization_id: uuid.UUID | None,
        source: str,
        rows: Iterable[RateIn],
        now: dt.datetime,
    ) -> UpsertResult:
        unique = _unique(rows)
        if not unique:
            return UpsertResult(0, 0, 0, frozenset(), None, None)
        with connection.cursor() as cursor:
            cursor.execute(_CREATE_STAGE)
            cursor.execute("TRUNCATE fx_rate_stage")
            raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no COPY support
            copy_sql = "COPY fx_rate_stage (date, base, quote, rate) FROM STDIN (FORMAT BINARY)"
            with raw.copy(copy_sql) as copy:
                copy.set_types(_STAGE_TYPES)
                write = copy.write_row
                for (date, base, quote), rate in unique.items():
                    write((date, base, quote, rate))
            cursor.execute(
                _upsert_sql(organization_id is None),
                {"organization_id": organization_id, "source": source, "now": now},
            )
            created, updated, first, last, touched = cursor.fetchone()
        return UpsertResult(
            created,
            updated,
            len(unique) - created - updated,
            frozenset(touched or ()),
            first,
            last,
        )

    def window(
        self,
        *,
        organization_id: uuid.UUID | None,
        currencies: Collection[str],
        start: dt.date,
        end: dt.date,
    ) -> Window:
        params = {
            "organization_id": organization_id,
            "start": start,
            "end": end,
            "base": SHARED_BASE,
            "codes": sorted(currencies),
        }
        with connection.cursor() as cursor:
            cursor.execute(_WINDOW, params)
            rows = cursor.fetchall()
        window = Window([], [])
        for own, group in groupby(rows, key=_OWN):  # in practice two runs: own, then shared
            (window.own if own else window.shared).extend(group)
        return window


# --- Any database (SQLite) ------------------------------------------------------------------

# Plain INSERT / UPDATE through executemany: ``bulk_create`` spent 15.9 s preparing the
# ECB file's 193 723 rows field by field on SQLite (measured), this ≈ 2 s. Any database
# takes this SQL; the PostgreSQL store never runs it.
_INSERT = (
    "INSERT INTO fx_exchangerate "
    "(organization_id, date, base, quote, rate, source, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
_UPDATE = "UPDATE fx_exchangerate SET rate = %s, source = %s, updated_at = %s WHERE id = %s"
_ORGANIZATION_KEY = ExchangeRate._meta.get_field("organization").target_field  # type: ignore[union-attr]
# Rows per executemany call: bounds the parameters held at once; the statement is the same.
_CHUNK = 5_000


class PortableRatesStore(RatesStore):
    def upsert(
        self,
        *,
        organization_id: uuid.UUID | None,
        source: str,
        rows: Iterable[RateIn],
        now: dt.datetime,
    ) -> UpsertResult:
        unique = _unique(rows)
        if not unique:
            return UpsertResult(0, 0, 0, frozenset(), None, None)
        dates = [key[0] for key in unique]
        bases = {key[1] for key in unique}
        quotes = {key[2] for key in unique}
        # One read of what exists (a superset of the keys: the same currencies over the
        # same dates), then only what is new or different is written.
        existing = {
            (date, base, quote): (pk, stored)
            for pk, date, base, quote, stored in ExchangeRate.objects.filter(
                Q(organization__isnull=True)
                if organization_id is None
                else Q(organization_id=organization_id),
                base__in=bases,
                quote__in=quotes,
                date__range=(min(dates), max(dates)),
            )
            .order_by()
            .values_list("pk", "date", "base", "quote", "rate")
        }
        ops = connection.ops
        stamp = ops.adapt_datetimefield_value(now)
        owner = _ORGANIZATION_KEY.get_db_prep_value(organization_id, connection)
        created: list[tuple[dt.date, str, str]] = []
        updated: list[tuple[dt.date, str, str]] = []
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for (date, base, quote), rate in unique.items():
            found = existing.get((date, base, quote))
            if found is None:
                created.append((date, base, quote))
                inserts.append(
                    (
                        owner,
                        ops.adapt_datefield_value(date),
                        base,
                        quote,
                        str(rate),
                        source,
                        stamp,
                        stamp,
                    )
                )
            elif found[1] != rate:
                updated.append((date, base, quote))
                updates.append((str(rate), source, stamp, found[0]))
        with connection.cursor() as cursor:
            for at in range(0, len(inserts), _CHUNK):
                cursor.executemany(_INSERT, inserts[at : at + _CHUNK])
            for at in range(0, len(updates), _CHUNK):
                cursor.executemany(_UPDATE, updates[at : at + _CHUNK])
        written = created + updated
        return UpsertResult(
            len(created),
            len(updated),
            len(unique) - len(written),
            frozenset({key[1] for key in written} | {key[2] for key in written}),
            min((key[0] for key in written), default=None),
            max((key[0] for key in written), default=None),
        )

    def window(
        self,
        *,
        organization_id: uuid.UUID | None,
        currencies: Collection[str],
        start: dt.date,
        end: dt.date,
    ) -> Window:
        in_window = ExchangeRate.objects.filter(date__range=(start, end)).order_by()

        def rows(query: QuerySet[ExchangeRate]) -> list[DayRate]:
            return [
                (base, quote, (date - start).days, rate)
                for base, quote, date, rate in query.values_list("base", "quote", "date", "rate")
            ]

        own: list[DayRate] = []
        if organization_id is not None:
            own = rows(in_window.filter(organization_id=organization_id))
        codes = {*currencies, *(r[0] for r in own), *(r[1] for r in own)}
        shared = rows(
            in_window.filter(organization__isnull=True, base=SHARED_BASE, quote__in=codes)
        )
        return Window(shared, own)


_STORES: dict[str, type[RatesStore]] = {
    "postgresql": PostgresRatesStore,
    "sqlite": PortableRatesStore,
}


@cache
def _store_for(vendor: str) -> RatesStore:
    try:
        return _STORES[vendor]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Exchange rates support {', '.join(_STORES)}, not {vendor}."
        ) from None


def rates_store() -> RatesStore:
    """Return the exchange-rate store of the default database (made once per vendor)."""
    return _store_for(connection.vendor)
