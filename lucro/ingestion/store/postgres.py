"""The PostgreSQL store: the hot paths in one statement each.

Ingest: ``COPY`` into a session-local staging table, then one ``INSERT … SELECT … ON
CONFLICT DO UPDATE … WHERE <changed>``. Measured on this class of machine, ``bulk_create``
writes ≈ 21 000 rows/s while this reaches ≈ 77 000 rows/s, and the conflict clause gives
created / updated / unchanged in the same statement (``xmax = 0`` marks a freshly inserted
row; an unchanged row is not returned at all).

Enrichment: ``SKIP LOCKED`` claims, so N workers take disjoint rows of one batch without
waiting on each other, and a write-back of a whole chunk in one ``UPDATE … FROM unnest``.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from collections.abc import Sequence

from django.db import connection

from lucro.ingestion.models import CategorySource, Transaction
from lucro.ingestion.payload import TransactionIn
from lucro.ingestion.store.base import (
    COMPLETED,
    CONTENT_FIELDS,
    IN_FLIGHT_SQL,
    PENDING,
    PROCESSING,
    RECLAIM_SQL,
    Answer,
    Claim,
    Row,
    Store,
    UpsertCounts,
    claim_from,
    claim_sql,
    lock_sql,
)

_MANUAL = CategorySource.MANUAL.value

# The staging table holds the key columns and exactly the content fields, in this order.
_STAGE_COLUMNS = ("id", "account_id", "transaction_id", "currency", *CONTENT_FIELDS)

# A staging column's PostgreSQL type follows the model field's (text for every string:
# the target columns check the lengths), so neither the CREATE nor the binary COPY's type
# list can drift from the model or from _STAGE_COLUMNS.
_PG_TYPES = {
    "UUIDField": "uuid",
    "ForeignKey": "uuid",
    "CharField": "text",
    "TextField": "text",
    "DecimalField": "numeric",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "BooleanField": "bool",
}


def _stage_column(name: str) -> tuple[str, str]:
    field = Transaction._meta.get_field(name)
    return _PG_TYPES[field.get_internal_type()], "" if field.null else " NOT NULL"


_STAGE_TYPES = tuple(_stage_column(c)[0] for c in _STAGE_COLUMNS)
_CREATE_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS lucro_ingest_stage ("
    + ", ".join(f"{c} {kind}{null}" for c in _STAGE_COLUMNS for kind, null in [_stage_column(c)])
    + ") ON COMMIT DELETE ROWS"
)

_CHANGED = " OR ".join(f"t.{f} IS DISTINCT FROM EXCLUDED.{f}" for f in CONTENT_FIELDS)
_SET_CONTENT = ", ".join(f"{f} = EXCLUDED.{f}" for f in CONTENT_FIELDS)


def uuid7_block(count: int) -> list[uuid.UUID]:
    """Return ``count`` UUIDv7 keys (RFC 9562, monotonic random, method 2).

    48-bit millisecond clock, version 7, 12 random bits, the variant, then 62 bits of which
    the low 24 count up from a random start: one batch's keys are time-ordered and land on
    the right-hand edge of the primary-key index instead of random pages. Made here, not
    in SQL: a per-row ``gen_random_uuid()`` plus the bit surgery cost the server ≈ 25 ms
    per 10 000 rows (measured), this costs the client ≈ 6 ms.
    """
    if count >= 1 << 23:
        raise ValueError("too many keys for one block")
    millis = time.time_ns() // 1_000_000
    start = secrets.randbits(23)  # ≤ 2**23 so that start + count fits the 24-bit counter
    head = (millis << 16) | (0x7 << 12) | secrets.randbits(12)
    base = (head << 64) | (0b10 << 62) | (secrets.randbits(38) << 24) | start
    return [uuid.UUID(int=base + i) for i in range(count)]


# Rows are inserted in key order, so every batch locks the rows it shares with another in
# the same order: without the ORDER BY, 8 clients sending overlapping shuffled ids
# deadlocked on 105 of 120 requests. ``COLLATE "C"`` sorts by bytes (cheaper than the
# database's locale; any order works, as long as every writer uses the same one).
_UPSERT = f"""
WITH written AS (
    INSERT INTO ingestion_transaction AS t (
        id, organization_id, batch_id, account_id, transaction_id, amount, currency, date,
        occurred_at, authorized_date, description, merchant_name, payment_channel, pending,
        category_source, ingestion_status, attempts, created_at, updated_at
    )
    SELECT s.id, %(organization_id)s, %(batch_id)s, s.account_id,
           s.transaction_id, s.amount, s.currency, s.date, s.occurred_at, s.authorized_date,
           s.description, s.merchant_name, s.payment_channel, s.pending,
           '{CategorySource.NONE}', '{PENDING}', 0, %(now)s, %(now)s
    FROM lucro_ingest_stage s
    ORDER BY s.account_id, s.transaction_id COLLATE "C"
    ON CONFLICT (account_id, transaction_id) DO UPDATE SET
        {_SET_CONTENT},
        batch_id = EXCLUDED.batch_id,
        ingestion_status = '{PENDING}',
        attempts = 0,
        failure_reason = NULL,
        claimed_at = NULL,
        completed_at = NULL,
        category_id = CASE WHEN t.category_source = '{_MANUAL}' THEN t.category_id END,
        category_rule_id = NULL,
        category_model_version = NULL,
        category_confidence = CASE WHEN t.category_source = '{_MANUAL}'
                                   THEN t.category_confidence END,
        category_source = CASE WHEN t.category_source = '{_MANUAL}'
                               THEN t.category_source ELSE '{CategorySource.NONE}' END,
        updated_at = EXCLUDED.updated_at
    WHERE t.deleted_at IS NULL AND ({_CHANGED})
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""

# A re-sent row that a person deleted is left alone by the upsert (its WHERE) and counted
# here. Deleted rows are few, and most batches' accounts have none: the first statement
# probes the partial index ``txn_deleted`` once per account (≈ 0.1 ms for a batch), and
# only when one has deleted rows does the second join them (through the same index) with
# the staged keys.
_ACCOUNTS_WITH_DELETED = """
SELECT a FROM unnest(%s::uuid[]) AS a
WHERE EXISTS (
    SELECT 1 FROM ingestion_transaction t WHERE t.account_id = a AND t.deleted_at IS NOT NULL
)
"""
_DELETED_RESENT = """
SELECT count(*) FROM lucro_ingest_stage s
JOIN ingestion_transaction t
  ON t.account_id = s.account_id AND t.transaction_id = s.transaction_id
WHERE t.deleted_at IS NOT NULL AND t.account_id = ANY(%s::uuid[])
"""

# SKIP LOCKED lets N workers claim disjoint rows of one batch without waiting on each
# other.
_CLAIM = claim_sql(lock="FOR UPDATE SKIP LOCKED")

# The lock-only claim of the fast path: row locks, no row versions written. Every row is
# then written once (pending → completed) instead of twice (→ processing → completed): on
# this machine that is the difference between ≈ 22 000 and ≈ 30 000+ rows/s (bench/enrich.py).
_LOCK = lock_sql(extra_columns=", ctid::text", lock="FOR UPDATE SKIP LOCKED")

# A manual category is the user's: the row is completed, its category left alone.
# Each row carries only its key and the ordinal of its answer; the chunk's few distinct
# answers (one per winning rule) travel once each. Against one array element per row and
# column, this cut planning plus the joins that feed the update from 6.6–11.7 ms to ≈ 4 ms
# per 2 000 rows (EXPLAIN ANALYZE, 1M-row table: planning 1.9–3.2 → 0.8 ms, unnest 1.9–5.2
# → 0.8 ms).
_WRITE_BACK = f"""
UPDATE ingestion_transaction AS t SET
    category_id = CASE WHEN t.category_source = '{_MANUAL}' THEN t.category_id
                       ELSE a.category_id END,
    category_rule_id = CASE WHEN t.category_source = '{_MANUAL}' THEN t.category_rule_id
                            ELSE a.rule_id END,
    category_model_version = CASE WHEN t.category_source = '{_MANUAL}'
                                  THEN t.category_model_version ELSE a.model_version END,
    category_confidence = CASE WHEN t.category_source = '{_MANUAL}'
                               THEN t.category_confidence ELSE a.confidence END,
    category_source = CASE WHEN t.category_source = '{_MANUAL}' THEN t.category_source
                           ELSE a.source END,
    ingestion_status = '{COMPLETED}',
    completed_at = %s,
    failure_reason = NULL{{extra_set}}
FROM unnest(%s::text::{{key_type}}[], %s::text::int4[]) AS v(key, answer)
JOIN unnest(%s::text::uuid[], %s::text::text[], %s::text::uuid[], %s::text::text[],
            %s::text::float8[])
     WITH ORDINALITY AS a(category_id, source, rule_id, model_version, confidence, n)
  ON a.n = v.answer
WHERE t.{{key}} = v.key AND {{held}}
"""
# Held under a token (the processing claim) or by row locks (the lock-only claim).
_WRITE_BACK_CLAIMED = _WRITE_BACK.format(
    extra_set="",
    key_type="uuid",
    key="id",
    held=f"t.ingestion_status = '{PROCESSING}' AND t.claimed_at = %s",
)
_WRITE_BACK_LOCKED = _WRITE_BACK.format(
    extra_set=", claimed_at = %s, attempts = t.attempts + 1",
    key_type="tid",
    key="ctid",
    # No status re-check: this transaction has held the rows' locks since it read them
    # pending (and a status condition tempted the planner into scanning every pending
    # row). The ANY() repeats the join key as a TID list, so the plan always starts from
    # the chunk's addresses, whatever the table's size and statistics.
    held="t.ctid = ANY(%s::text::tid[])",
)


def _array_text(value: str | None) -> str:
    """Return one element of a PostgreSQL array literal (quoted, or NULL)."""
    if value is None:
        return "NULL"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(elements: Sequence[str]) -> str:
    # Array literals built here cost a fraction of psycopg adapting thousands of values.
    return "{" + ",".join(elements) + "}"


def _content(row: TransactionIn) -> tuple[object, ...]:
    return (
        row.amount,
        row.date,
        row.occurred_at,
        row.authorized_date,
        row.description,
        row.merchant_name,
        row.payment_channel,
        row.pending,
    )


def _claim(batch_id: uuid.UUID, token: dt.datetime, fetched: list[tuple], locked: bool) -> Claim:
    # psycopg already returns UUIDs and Decimals: the rows need no conversion.
    rows = [Row(f[0], f[1], f[3], f[4], f[5]) for f in fetched]
    # Only _LOCK selects the ctid (the 9th column).
    ctids = tuple(f[8] for f in fetched) if locked else ()
    return claim_from(batch_id, token, fetched, rows, locked, ctids)


class PostgresStore(Store):
    """PostgreSQL: ``COPY``, ``ON CONFLICT``, ``SKIP LOCKED`` and array write-backs."""

    def transactions_upsert(
        self,
        *,
        organization_id: uuid.UUID,
        batch_id: uuid.UUID,
        rows: Sequence[TransactionIn],
        account_pks: dict[str, uuid.UUID],
        now: dt.datetime,
    ) -> UpsertCounts:
        with connection.cursor() as cursor:
            cursor.execute(_CREATE_STAGE)
            # A retried request in the same transaction must not see the last attempt's rows.
            cursor.execute("TRUNCATE lucro_ingest_stage")
            raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no COPY support
            columns = ", ".join(_STAGE_COLUMNS)
            # Binary COPY: no text rendering of decimals, dates and timestamps on this side
            # nor parsing on the server's: 32 vs 47 ms per 10 000 rows for text (A/B).
            copy_sql = f"COPY lucro_ingest_stage ({columns}) FROM STDIN (FORMAT BINARY)"
            with raw.copy(copy_sql) as copy:
                copy.set_types(_STAGE_TYPES)
                write = copy.write_row
                for key, r in zip(uuid7_block(len(rows)), rows, strict=True):
                    write(
                        (key, account_pks[r.account_id], r.transaction_id, r.currency, *_content(r))
                    )
            cursor.execute(_ACCOUNTS_WITH_DELETED, [list(set(account_pks.values()))])
            with_deleted = [a for (a,) in cursor.fetchall()]
            deleted = 0
            if with_deleted:
                cursor.execute(_DELETED_RESENT, [with_deleted])
                (deleted,) = cursor.fetchone()
            cursor.execute(
                _UPSERT, {"organization_id": organization_id, "batch_id": batch_id, "now": now}
            )
            created, updated = cursor.fetchone()
        return UpsertCounts(created, updated, len(rows) - created - updated - deleted, deleted)

    def chunk_claim(self, *, batch_id: uuid.UUID, limit: int, now: dt.datetime) -> Claim:
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, [now, batch_id, limit])
            return _claim(batch_id, now, cursor.fetchall(), locked=False)

    def chunk_reclaim(self, *, batch_id: uuid.UUID, token: dt.datetime, now: dt.datetime) -> Claim:
        with connection.cursor() as cursor:
            cursor.execute(RECLAIM_SQL, [now, batch_id, token])
            return _claim(batch_id, now, cursor.fetchall(), locked=False)

    def chunk_lock(self, *, batch_id: uuid.UUID, limit: int, now: dt.datetime) -> Claim:
        with connection.cursor() as cursor:
            cursor.execute(_LOCK, [batch_id, limit])
            return _claim(batch_id, now, cursor.fetchall(), locked=True)

    def chunk_write_back(self, *, claim: Claim, answers: Sequence[Answer], now: dt.datetime) -> int:
        keys = [f'"{c}"' for c in claim.ctids] if claim.locked else [str(r.id) for r in claim.rows]
        # Enrichers share Answer objects (one per rule), so identity finds the distinct ones
        # without hashing two UUIDs per row; an equal answer seen twice is merely sent twice.
        ordinal: dict[int, int] = {}
        distinct: list[Answer] = []
        picks: list[str] = []
        for a in answers:
            n = ordinal.get(id(a))
            if n is None:
                distinct.append(a)
                n = ordinal[id(a)] = len(distinct)
            picks.append(str(n))
        arrays = [
            _array(keys),
            _array(picks),
            _array([str(a.category_id) if a.category_id else "NULL" for a in distinct]),
            _array([_array_text(a.source) for a in distinct]),
            _array([str(a.rule_id) if a.rule_id else "NULL" for a in distinct]),
            _array([_array_text(a.model_version) for a in distinct]),
            _array([repr(float(a.confidence)) for a in distinct]),
        ]
        with connection.cursor() as cursor:
            if claim.locked:
                cursor.execute(_WRITE_BACK_LOCKED, [now, claim.token, *arrays, arrays[0]])
            else:
                cursor.execute(_WRITE_BACK_CLAIMED, [now, *arrays, claim.token])
            return cursor.rowcount

    def batch_in_flight(self, *, batch_id: uuid.UUID) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(IN_FLIGHT_SQL, [batch_id])
            return cursor.fetchone() is not None

    def max_params(self) -> int:
        # PostgreSQL's protocol allows 65 535 parameters per statement.
        return 60_000
