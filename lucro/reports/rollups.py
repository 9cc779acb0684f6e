"""Rollup maintenance: the SQL that keeps the daily and monthly rollups exact.

Only terminal rows (``completed`` / ``failed``) that are not soft-deleted are rolled up.
Every way a row enters or leaves that set, or changes amount, date, category or account
while in it, is an UPDATE (a worker's write-back, a retry, a manual recategorisation, a
re-ingest through ``INSERT … ON CONFLICT DO UPDATE``, a delete or restore that sets or
clears ``deleted_at``) or a DELETE (the purge), so those are the triggers. An account's
own delete leaves its rollups in place: readers skip deleted accounts (``queries``), and a
restore is then one row's change. Ingestion
inserts rows as ``pending``; the INSERT trigger only has work for a row inserted already
terminal (fixtures, admin), and its ``WHEN`` clause keeps it off the hot path.

One interface (``Rollups``: install, uninstall, rebuild), one implementation per database,
chosen once from the connection by ``rollups_for`` (as Django picks a backend's
``DatabaseOperations``):

- ``PostgresRollups``: statement-level triggers with transition tables. One write-back of
  2 000 rows becomes one aggregate and one ``INSERT … ON CONFLICT DO UPDATE`` per rollup,
  rows sorted by key so that concurrent writers lock rollup rows in the same order.
  PostgreSQL fires the UPDATE statement trigger, with the updated rows in its transition
  tables, for the ``DO UPDATE`` part of an ``INSERT … ON CONFLICT`` too (tested in
  ``tests/test_rollup_triggers.py``).
- ``SqliteRollups``: row-level triggers (SQLite has no statement-level ones); it is the
  development database, where a row at a time is fast enough.

The SQL is run by migration ``0002_rollup_triggers``. A change here needs a new migration
that calls ``install`` again (every statement is create-or-replace).
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

TERMINAL = "('completed', 'failed')"
# Which rows the rollups count, as a predicate on a row alias (NEW, OLD, a table, none).


def _counted(row: str = "") -> str:
    prefix = f"{row}." if row else ""
    return f"{prefix}ingestion_status IN {TERMINAL} AND {prefix}deleted_at IS NULL"


_PG_ZERO = "'00000000-0000-0000-0000-000000000000'::uuid"
_SQLITE_ZERO = "'00000000000000000000000000000000'"
_COLUMNS = "spend_count, spend_sum, income_count, income_sum, failed_count"
_ADD = ", ".join(f"{c} = r.{c} + EXCLUDED.{c}" for c in _COLUMNS.split(", "))
_NONZERO = " OR ".join(f"{c} <> 0" for c in _COLUMNS.split(", "))

# --- PostgreSQL --------------------------------------------------------------------------

# The day vectors (PostgreSQL only): ``reports_monthlydays`` holds, per account, month and
# category, the month's counts and its 31 days of each rollup column in one int8[155] —
# spend and income sums in ten-thousandths, then spend, income and failed counts; day 31
# of a shorter month stays 0 — and two packed images of it (``amounts_wire``,
# ``counts_wire``) kept by the database. A converted report needs every day's sum times
# that day's rate: one row per month carries the 31 days, so a year of an account's
# category is 12 rows of bytes instead of 365 rows, and the products run exactly in numpy
# (``dayvectors``, SPEC §16). A sum of 2⁶² or more (461
# trillion units in one day of one category) or a count of 2³¹ does not fit: the row's
# vector becomes NULL, and stays so until a rebuild; readers take that month from the
# daily rollup.
# Rows up to ≈ 3.2 kB are kept in the page, uncompressed (STORAGE PLAIN): no TOAST work.
_DAYS_LIMIT = 2**62
_COUNT_LIMIT = 2**31
_PG_DAYS_INSTALL = [
    f"""
CREATE OR REPLACE FUNCTION reports_days(
    days int[], spend numeric[], income numeric[], spend_n numeric[], income_n numeric[],
    failed_n numeric[]
) RETURNS int8[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH u AS (
        SELECT d, ARRAY[s * 10000, i * 10000, sn, inn, fn] AS v
        FROM unnest(days, spend, income, spend_n, income_n, failed_n) AS t(d, s, i, sn, inn, fn)
    ),
    cells AS (
        SELECT k, g, COALESCE(u.v[k], 0) AS x
        FROM generate_series(1, 5) AS k CROSS JOIN generate_series(1, 31) AS g
        LEFT JOIN u ON u.d = g
    )
    SELECT CASE WHEN bool_and(abs(x) < CASE WHEN k <= 2 THEN {_DAYS_LIMIT} ELSE {_COUNT_LIMIT} END)
                THEN array_agg(x::int8 ORDER BY k, g) END
    FROM cells
$$
""",
    f"""
CREATE OR REPLACE FUNCTION reports_days_add(a int8[], b int8[]) RETURNS int8[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN bool_and(abs(x::numeric + y)
                              < CASE WHEN n <= 62 THEN {_DAYS_LIMIT} ELSE {_COUNT_LIMIT} END)
                THEN array_agg((x::numeric + y)::int8 ORDER BY n) END
    FROM unnest(a, b) WITH ORDINALITY AS t(x, y, n)
$$
""",
    # The wires: the vector's sums as 62 big-endian int8 and its counts as 93 big-endian
    # int4 (every count is below 2³¹), packed, for a reader to take as they are.
    """
CREATE OR REPLACE FUNCTION reports_days_amounts(days int8[]) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(int8send(x), ''::bytea ORDER BY n)
    FROM unnest(days[1:62]) WITH ORDINALITY AS t(x, n)
$$
""",
    """
CREATE OR REPLACE FUNCTION reports_days_counts(days int8[]) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(int4send(x::int4), ''::bytea ORDER BY n)
    FROM unnest(days[63:155]) WITH ORDINALITY AS t(x, n)
$$
""",
    """
CREATE TABLE IF NOT EXISTS reports_monthlydays (
    account_id uuid NOT NULL,
    month date NOT NULL,
    category_key uuid NOT NULL,
    spend_count bigint NOT NULL DEFAULT 0,
    income_count bigint NOT NULL DEFAULT 0,
    failed_count bigint NOT NULL DEFAULT 0,
    days int8[],
    amounts_wire bytea GENERATED ALWAYS AS (reports_days_amounts(days)) STORED,
    counts_wire bytea GENERATED ALWAYS AS (reports_days_counts(days)) STORED,
    PRIMARY KEY (account_id, month, category_key)
)
""",
    "ALTER TABLE reports_monthlydays ALTER COLUMN days SET STORAGE PLAIN, "
    "ALTER COLUMN amounts_wire SET STORAGE PLAIN, ALTER COLUMN counts_wire SET STORAGE PLAIN",
]
_DAYS_COUNTS = "spend_count, income_count, failed_count"
_DAYS_ADD = ", ".join(f"{c} = r.{c} + EXCLUDED.{c}" for c in _DAYS_COUNTS.split(", "))
# The day vector of a group of ``day_changed`` (or daily rollup) rows.
_PG_DAYS = (
    "reports_days(array_agg(extract(day FROM date)::int), array_agg(spend_sum), "
    "array_agg(income_sum), array_agg(spend_count), array_agg(income_count), "
    "array_agg(failed_count))"
)

# ``delta`` is a relation of (account_id, date, category_id, amount, ingestion_status, sign)
# built by each trigger from its transition tables; the rest is shared.
_PG_APPLY = f"""
    day AS (
        SELECT account_id, date, COALESCE(category_id, {_PG_ZERO}) AS category_key,
               SUM(CASE WHEN amount < 0 THEN sign ELSE 0 END) AS spend_count,
               SUM(CASE WHEN amount < 0 THEN -amount * sign ELSE 0 END) AS spend_sum,
               SUM(CASE WHEN amount > 0 THEN sign ELSE 0 END) AS income_count,
               SUM(CASE WHEN amount > 0 THEN amount * sign ELSE 0 END) AS income_sum,
               SUM(CASE WHEN ingestion_status = 'failed' THEN sign ELSE 0 END) AS failed_count
        FROM delta
        GROUP BY 1, 2, 3
    ),
    day_changed AS (SELECT * FROM day WHERE {_NONZERO}),
    daily AS (
        INSERT INTO reports_dailyrollup AS r (account_id, date, category_key, {_COLUMNS})
        SELECT account_id, date, category_key, {_COLUMNS} FROM day_changed
        ORDER BY account_id, date, category_key
        ON CONFLICT (account_id, date, category_key) DO UPDATE SET {_ADD}
    ),
    monthly AS (
        INSERT INTO reports_monthlyrollup AS r (account_id, month, category_key, {_COLUMNS})
        SELECT account_id, date_trunc('month', date)::date, category_key,
               SUM(spend_count), SUM(spend_sum), SUM(income_count), SUM(income_sum),
               SUM(failed_count)
        FROM day_changed
        GROUP BY 1, 2, 3
        HAVING SUM(spend_count) <> 0 OR SUM(spend_sum) <> 0 OR SUM(income_count) <> 0
            OR SUM(income_sum) <> 0 OR SUM(failed_count) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (account_id, month, category_key) DO UPDATE SET {_ADD}
    )
    INSERT INTO reports_monthlydays AS r (account_id, month, category_key, {_DAYS_COUNTS}, days)
    SELECT account_id, date_trunc('month', date)::date, category_key,
           SUM(spend_count), SUM(income_count), SUM(failed_count), {_PG_DAYS}
    FROM day_changed
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (account_id, month, category_key) DO UPDATE SET {_DAYS_ADD},
        days = reports_days_add(r.days, EXCLUDED.days);
"""

_PG_INSTALL = [
    *_PG_DAYS_INSTALL,
    f"""
CREATE OR REPLACE FUNCTION reports_rollup_after_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Claims (pending → processing) and most re-ingests touch no counted row.
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE {_counted()})
       AND NOT EXISTS (SELECT 1 FROM new_rows WHERE {_counted()}) THEN
        RETURN NULL;
    END IF;
    WITH delta AS (
        SELECT account_id, date, category_id, amount, ingestion_status, 1 AS sign
        FROM new_rows WHERE {_counted()}
        UNION ALL
        SELECT account_id, date, category_id, amount, ingestion_status, -1
        FROM old_rows WHERE {_counted()}
    ),
    {_PG_APPLY}
    RETURN NULL;
END
$$
""",
    f"""
CREATE OR REPLACE FUNCTION reports_rollup_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE {_counted()}) THEN
        RETURN NULL;
    END IF;
    WITH delta AS (
        SELECT account_id, date, category_id, amount, ingestion_status, -1 AS sign
        FROM old_rows WHERE {_counted()}
    ),
    {_PG_APPLY}
    -- An account's rows all deleted (the account itself, usually): leave no empty rows.
    DELETE FROM reports_dailyrollup r USING (SELECT DISTINCT account_id FROM old_rows) a
    WHERE r.account_id = a.account_id AND r.spend_count = 0 AND r.income_count = 0;
    DELETE FROM reports_monthlyrollup r USING (SELECT DISTINCT account_id FROM old_rows) a
    WHERE r.account_id = a.account_id AND r.spend_count = 0 AND r.income_count = 0;
    DELETE FROM reports_monthlydays r USING (SELECT DISTINCT account_id FROM old_rows) a
    WHERE r.account_id = a.account_id AND r.spend_count = 0 AND r.income_count = 0;
    RETURN NULL;
END
$$
""",
    f"""
CREATE OR REPLACE FUNCTION reports_rollup_after_insert_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT NEW.account_id AS account_id, NEW.date AS date, NEW.category_id AS category_id,
               NEW.amount AS amount, NEW.ingestion_status AS ingestion_status, 1 AS sign
    ),
    {_PG_APPLY}
    RETURN NULL;
END
$$
""",
    "DROP TRIGGER IF EXISTS reports_rollup_update ON ingestion_transaction",
    """
CREATE TRIGGER reports_rollup_update AFTER UPDATE ON ingestion_transaction
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_after_update()
""",
    "DROP TRIGGER IF EXISTS reports_rollup_delete ON ingestion_transaction",
    """
CREATE TRIGGER reports_rollup_delete AFTER DELETE ON ingestion_transaction
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_after_delete()
""",
    # Row-level with a WHEN clause: ingestion's pending rows never queue a trigger event,
    # whereas a statement-level INSERT trigger would capture every inserted row.
    "DROP TRIGGER IF EXISTS reports_rollup_insert ON ingestion_transaction",
    f"""
CREATE TRIGGER reports_rollup_insert AFTER INSERT ON ingestion_transaction
FOR EACH ROW WHEN ({_counted("NEW")})
EXECUTE FUNCTION reports_rollup_after_insert_row()
""",
]

_PG_UNINSTALL = [
    "DROP TRIGGER IF EXISTS reports_rollup_update ON ingestion_transaction",
    "DROP TRIGGER IF EXISTS reports_rollup_delete ON ingestion_transaction",
    "DROP TRIGGER IF EXISTS reports_rollup_insert ON ingestion_transaction",
    "DROP FUNCTION IF EXISTS reports_rollup_after_update()",
    "DROP FUNCTION IF EXISTS reports_rollup_after_delete()",
    "DROP FUNCTION IF EXISTS reports_rollup_after_insert_row()",
    "DROP TABLE IF EXISTS reports_monthlydays",
    "DROP FUNCTION IF EXISTS reports_days_amounts(int8[])",
    "DROP FUNCTION IF EXISTS reports_days_counts(int8[])",
    "DROP FUNCTION IF EXISTS reports_days_add(int8[], int8[])",
    "DROP FUNCTION IF EXISTS reports_days(int[], numeric[], numeric[], numeric[], numeric[], "
    "numeric[])",
]

# --- SQLite ------------------------------------------------------------------------------


def _sqlite_change(row: str, op: str) -> list[str]:
    """Return the statements that add (``op`` '+') or subtract ('-') ``row`` (OLD/NEW)."""
    key = f"COALESCE({row}.category_id, {_SQLITE_ZERO})"
    month = f"strftime('%Y-%m-01', {row}.date)"
    sets = (
        f"spend_count = spend_count {op} ({row}.amount < 0), "
        f"spend_sum = spend_sum {op} (CASE WHEN {row}.amount < 0 THEN -{row}.amount "
        f"ELSE 0 END), "
        f"income_count = income_count {op} ({row}.amount > 0), "
        f"income_sum = income_sum {op} (CASE WHEN {row}.amount > 0 THEN {row}.amount "
        f"ELSE 0 END), "
        f"failed_count = failed_count {op} ({row}.ingestion_status = 'failed')"
    )
    guard = _counted(row)
    out = []
    for table, period_col, period in (
        ("reports_dailyrollup", "date", f"{row}.date"),
        ("reports_monthlyrollup", "month", month),
    ):
        if op == "+":
            out.append(
                f"INSERT OR IGNORE INTO {table} (account_id, {period_col}, category_key, "
                f"{_COLUMNS}) SELECT {row}.account_id, {period}, {key}, 0, 0, 0, 0, 0 "
                f"WHERE {guard};"
            )
        out.append(
            f"UPDATE {table} SET {sets} WHERE {guard} AND account_id = {row}.account_id "
            f"AND {period_col} = {period} AND category_key = {key};"
        )
    return out


_SQLITE_RELEVANT_CHANGE = " OR ".join(
    f"OLD.{c} IS NOT NEW.{c}"
    for c in ("ingestion_status", "amount", "date", "category_id", "account_id", "deleted_at")
)

_SQLITE_INSTALL = [
    "DROP TRIGGER IF EXISTS reports_rollup_update",
    f"""
CREATE TRIGGER reports_rollup_update AFTER UPDATE ON ingestion_transaction
WHEN (({_counted("OLD")}) OR ({_counted("NEW")}))
     AND ({_SQLITE_RELEVANT_CHANGE})
BEGIN
{chr(10).join(_sqlite_change("OLD", "-") + _sqlite_change("NEW", "+"))}
END
""",
    "DROP TRIGGER IF EXISTS reports_rollup_delete",
    f"""
CREATE TRIGGER reports_rollup_delete AFTER DELETE ON ingestion_transaction
WHEN {_counted("OLD")}
BEGIN
{chr(10).join(_sqlite_change("OLD", "-"))}
DELETE FROM reports_dailyrollup WHERE account_id = OLD.account_id
    AND spend_count = 0 AND income_count = 0;
DELETE FROM reports_monthlyrollup WHERE account_id = OLD.account_id
    AND spend_count = 0 AND income_count = 0;
END
""",
    "DROP TRIGGER IF EXISTS reports_rollup_insert",
    f"""
CREATE TRIGGER reports_rollup_insert AFTER INSERT ON ingestion_transaction
WHEN {_counted("NEW")}
BEGIN
{chr(10).join(_sqlite_change("NEW", "+"))}
END
""",
]

_SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS reports_rollup_update",
    "DROP TRIGGER IF EXISTS reports_rollup_delete",
    "DROP TRIGGER IF EXISTS reports_rollup_insert",
]

# --- One interface, one implementation per database ------------------------------------

_BACKFILL_SUMS = (
    "SUM(CASE WHEN amount < 0 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END), "
    "SUM(CASE WHEN amount > 0 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), "
    "SUM(CASE WHEN ingestion_status = 'failed' THEN 1 ELSE 0 END)"
)


class Rollups:
    """The rollup triggers and backfill of one database; subclasses hold its SQL."""

    # The all-zeros category key as an SQL literal, and the first day of the month of the
    # ``date`` column: the two spellings the backfill needs from each database.
    zero: ClassVar[str]
    month_of_date: ClassVar[str]
    install_sql: ClassVar[list[str]]
    uninstall_sql: ClassVar[list[str]]

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def backfill_sql(self) -> list[str]:
        """Return the statements that recompute both rollups from the counted rows."""
        source = f"FROM ingestion_transaction WHERE {_counted()}"
        return [
            "DELETE FROM reports_dailyrollup",
            "DELETE FROM reports_monthlyrollup",
            f"INSERT INTO reports_dailyrollup (account_id, date, category_key, {_COLUMNS}) "
            f"SELECT account_id, date, COALESCE(category_id, {self.zero}), {_BACKFILL_SUMS} "
            f"{source} GROUP BY 1, 2, 3",
            f"INSERT INTO reports_monthlyrollup (account_id, month, category_key, {_COLUMNS}) "
            f"SELECT account_id, {self.month_of_date}, COALESCE(category_id, {self.zero}), "
            f"{_BACKFILL_SUMS} {source} GROUP BY 1, 2, 3",
        ]

    def install(self) -> None:
        """Create (or replace) the triggers and rebuild the rollups from the terminal rows."""
        self._execute([*self.install_sql, *self.backfill_sql()])

    def uninstall(self) -> None:
        """Drop the triggers (the rollup tables go with their own migration)."""
        self._execute(self.uninstall_sql)

    def rebuild(self) -> None:
        """Recompute the rollups from the transactions table (a repair tool; takes locks)."""
        self._execute(self.backfill_sql())

    def _execute(self, statements: list[str]) -> None:
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


class PostgresRollups(Rollups):
    zero = _PG_ZERO
    month_of_date = "date_trunc('month', date)::date"
    install_sql = _PG_INSTALL
    uninstall_sql = _PG_UNINSTALL

    def backfill_sql(self) -> list[str]:
        # The day vectors from the daily rollup, once it is rebuilt.
        return [
            *super().backfill_sql(),
            "DELETE FROM reports_monthlydays",
            f"INSERT INTO reports_monthlydays (account_id, month, category_key, {_DAYS_COUNTS}, "
            f"days) SELECT account_id, {self.month_of_date}, category_key, SUM(spend_count), "
            f"SUM(income_count), SUM(failed_count), {_PG_DAYS} "
            "FROM reports_dailyrollup GROUP BY 1, 2, 3",
        ]


class SqliteRollups(Rollups):
    zero = _SQLITE_ZERO
    month_of_date = "strftime('%Y-%m-01', date)"
    install_sql = _SQLITE_INSTALL
    uninstall_sql = _SQLITE_UNINSTALL


# Keyed by ``connection.vendor``: the one place that looks at which database this is.
_BACKENDS: dict[str, type[Rollups]] = {"postgresql": PostgresRollups, "sqlite": SqliteRollups}


def rollups_for(connection: BaseDatabaseWrapper) -> Rollups:
    """Return the rollup maintenance of ``connection``'s database."""
    try:
        backend = _BACKENDS[connection.vendor]
    except KeyError:
        raise ImproperlyConfigured(
            f"Report rollups support {', '.join(_BACKENDS)}, not {connection.vendor}."
        ) from None
    return backend(connection)


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or replace) the triggers and rebuild the rollups from the terminal rows."""
    rollups_for(connection).install()


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (the rollup tables go with their own migration)."""
    rollups_for(connection).uninstall()


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recompute the rollups from the transactions table (a repair tool; takes locks)."""
    rollups_for(connection).rebuild()
