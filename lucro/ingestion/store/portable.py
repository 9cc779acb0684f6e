"""The portable store: plain ORM and portable SQL (SQLite; the benchmark's reference path).

The settings open every SQLite transaction with ``BEGIN IMMEDIATE``, so claimers are
serialised by the database's write lock: a conditional ``UPDATE`` needs nothing more, and a
lock-only claim is a plain ``SELECT`` (the transaction already holds the write lock).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import F

from lucro.ingestion.models import CategorySource, IngestionStatus, Transaction
from lucro.ingestion.payload import TransactionIn
from lucro.ingestion.store.base import (
    CONTENT_FIELDS,
    IN_FLIGHT_SQL,
    PENDING,
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

# SQLite caps the variables in one statement; 500 rows keeps every IN list well under it.
CHUNK = 500

# The settings open every SQLite transaction with BEGIN IMMEDIATE, so claimers are
# serialised by the database's write lock: the conditional update needs nothing more, and
# the lock-only claim is a plain SELECT.
_CLAIM = claim_sql(recheck=f" AND ingestion_status = '{PENDING}'")
_LOCK = lock_sql()

# Raw SQL gets its values in the database's own representation, made by Django's fields
# (a UUID is 32 hex digits on SQLite; a datetime, text in the connection's time zone).
_UUID = models.UUIDField()
_DATETIME = models.DateTimeField()


def _adapt(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, uuid.UUID):
            out.append(_UUID.get_db_prep_value(value, connection))
        elif isinstance(value, dt.datetime):
            out.append(_DATETIME.get_db_prep_value(value, connection))
        else:
            out.append(value)
    return out


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _claim(
    sql: str, params: Sequence[Any], batch_id: uuid.UUID, token: dt.datetime, *, locked: bool
) -> Claim:
    with connection.cursor() as cursor:
        cursor.execute(sql, _adapt(params))
        fetched = cursor.fetchall()
    rows = [Row(_uuid(f[0]), _uuid(f[1]), f[3], f[4], _decimal(f[5])) for f in fetched]
    return claim_from(batch_id, token, fetched, rows, locked)


def _content(row: TransactionIn) -> tuple[object, ...]:
    return tuple(getattr(row, f) for f in CONTENT_FIELDS)


class PortableStore(Store):
    """Plain ORM and portable SQL: SQLite, and any database Django supports."""

    def transactions_upsert(
        self,
        *,
        organization_id: uuid.UUID,
        batch_id: uuid.UUID,
        rows: Sequence[TransactionIn],
        account_pks: dict[str, uuid.UUID],
        now: dt.datetime,
    ) -> UpsertCounts:
        existing: dict[tuple[uuid.UUID, str], Transaction] = {}
        by_account: dict[uuid.UUID, list[str]] = {}
        for r in rows:
            by_account.setdefault(account_pks[r.account_id], []).append(r.transaction_id)
        for account_pk, ids in by_account.items():
            for start in range(0, len(ids), CHUNK):
                for txn in Transaction.objects.filter(
                    account_id=account_pk, transaction_id__in=ids[start : start + CHUNK]
                ):
                    existing[(account_pk, txn.transaction_id)] = txn

        to_create: list[Transaction] = []
        to_update: list[Transaction] = []
        deleted = 0
        for r in rows:
            account_pk = account_pks[r.account_id]
            current = existing.get((account_pk, r.transaction_id))
            if current is None:
                to_create.append(
                    Transaction(
                        organization_id=organization_id,
                        batch_id=batch_id,
                        account_id=account_pk,
                        transaction_id=r.transaction_id,
                        currency=r.currency,
                        created_at=now,
                        updated_at=now,
                        **{f: getattr(r, f) for f in CONTENT_FIELDS},
                    )
                )
                continue
            if current.deleted_at is not None:
                # Deleted by a person: a re-send neither changes nor resurrects it.
                deleted += 1
                continue
            content = _content(r)
            if tuple(getattr(current, f) for f in CONTENT_FIELDS) == content:
                continue
            for field, value in zip(CONTENT_FIELDS, content, strict=True):
                setattr(current, field, value)
            current.batch_id = batch_id
            current.ingestion_status = IngestionStatus.PENDING
            current.attempts = 0
            current.failure_reason = None
            current.claimed_at = None
            current.completed_at = None
            current.category_rule_id = None
            current.category_model_version = None
            if current.category_source != CategorySource.MANUAL:
                current.category_id = None
                current.category_confidence = None
                current.category_source = CategorySource.NONE
            current.updated_at = now
            to_update.append(current)

        Transaction.objects.bulk_create(to_create, batch_size=CHUNK)
        if to_update:
            Transaction.objects.bulk_update(
                to_update,
                [
                    *CONTENT_FIELDS,
                    "batch",
                    "ingestion_status",
                    "attempts",
                    "failure_reason",
                    "claimed_at",
                    "completed_at",
                    "category",
                    "category_rule_id",
                    "category_model_version",
                    "category_confidence",
                    "category_source",
                    "updated_at",
                ],
                batch_size=CHUNK,
            )
        created, updated = len(to_create), len(to_update)
        return UpsertCounts(created, updated, len(rows) - created - updated - deleted, deleted)

    def chunk_claim(self, *, batch_id: uuid.UUID, limit: int, now: dt.datetime) -> Claim:
        return _claim(_CLAIM, [now, batch_id, limit], batch_id, now, locked=False)

    def chunk_reclaim(self, *, batch_id: uuid.UUID, token: dt.datetime, now: dt.datetime) -> Claim:
        return _claim(RECLAIM_SQL, [now, batch_id, token], batch_id, now, locked=False)

    def chunk_lock(self, *, batch_id: uuid.UUID, limit: int, now: dt.datetime) -> Claim:
        return _claim(_LOCK, [batch_id, limit], batch_id, now, locked=True)

    def chunk_write_back(self, *, claim: Claim, answers: Sequence[Answer], now: dt.datetime) -> int:
        # One UPDATE per distinct answer: a chunk holds few distinct categories.
        groups: dict[Answer, list[uuid.UUID]] = defaultdict(list)
        for row, answer in zip(claim.rows, answers, strict=True):
            groups[answer].append(row.id)
        done: dict[str, Any] = {
            "ingestion_status": IngestionStatus.COMPLETED,
            "completed_at": now,
            "failure_reason": None,
        }
        if claim.locked:
            held = Transaction.objects.filter(ingestion_status=IngestionStatus.PENDING)
            done.update(claimed_at=claim.token, attempts=F("attempts") + 1)
        else:
            held = Transaction.objects.filter(
                ingestion_status=IngestionStatus.PROCESSING, claimed_at=claim.token
            )
        written = 0
        for answer, ids in groups.items():
            for start in range(0, len(ids), CHUNK):
                written += (
                    held.filter(id__in=ids[start : start + CHUNK])
                    .exclude(category_source=CategorySource.MANUAL)
                    .update(
                        category_id=answer.category_id,
                        category_source=answer.source,
                        category_rule_id=answer.rule_id,
                        category_model_version=answer.model_version,
                        category_confidence=answer.confidence,
                        **done,
                    )
                )
        ids_all = [row.id for row in claim.rows]
        for start in range(0, len(ids_all), CHUNK):
            written += held.filter(
                id__in=ids_all[start : start + CHUNK], category_source=CategorySource.MANUAL
            ).update(**done)
        return written

    def batch_in_flight(self, *, batch_id: uuid.UUID) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(IN_FLIGHT_SQL, _adapt([batch_id]))
            return cursor.fetchone() is not None

    def max_params(self) -> int:
        return (connection.features.max_query_params or 60_000) - 16
