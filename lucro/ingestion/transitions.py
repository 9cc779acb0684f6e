"""Every change of state of an account, a batch or a transaction: the owner's transitions.

This module is the only writer of ``Account``, ``Batch`` and ``Transaction`` (a test walks
the whole pipeline and fails on any write to their tables from anywhere else). Each
transition keeps its rules in one place — "a manual category survives" is written once, in
the store's upsert and write-back and in ``transaction_categorise`` — and announces what it
changed through ``lucro.ingestion.events`` once it commits: the apps above react (queueing,
cache versions) without the owner knowing them.

Transactions::

    (ingest) ──► pending ──claim──► processing ──complete──► completed
                   ▲  └───lock (fast path: pending ─complete─► completed)
                   │                      └──fail_exhausted──► failed
                   └── re-sent with new content, retry, return_stale, rerun move

Batches: ``pending`` ─(first chunk)─► ``processing`` ─(nothing in flight)─► ``completed`` or
``failed``; a retry of failed rows takes a batch back to ``processing``. The stored status
is the only truth: the API, the admin, the sweeper and the metrics read it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from lucro.core import crypto
from lucro.core.errors import Conflict, NotFound, ValidationFailed
from lucro.ingestion import events
from lucro.ingestion.metrics import BATCHES_FINISHED
from lucro.ingestion.models import (
    Account,
    Batch,
    CategorySource,
    IngestionStatus,
    Transaction,
    batch_location,
)
from lucro.ingestion.payload import AccountIn, BatchIn
from lucro.ingestion.reruns import RerunCursor, RerunScope
from lucro.ingestion.store import Answer, Claim, UpsertCounts, store
from lucro.taxonomy.models import Category
from lucro.tenancy.models import ApiKey, Organization

logger = structlog.get_logger(__name__)

_IN_FLIGHT = [IngestionStatus.PENDING, IngestionStatus.PROCESSING]
_UNFINISHED = [Batch.Status.PENDING, Batch.Status.PROCESSING]


# --- Ingest -------------------------------------------------------------------------------


def _accounts_upsert(organization: Organization, accounts: list[AccountIn]) -> None:
    """Create or update accounts; an account's currency never changes once set.

    Rows are written in ``account_id`` order: two batches naming the same accounts in
    different orders otherwise lock them in different orders and deadlock (seen: 18 of 80
    concurrent requests).
    """
    accounts = sorted(accounts, key=attrgetter("account_id"))
    if not accounts:
        return
    Account.objects.bulk_create(
        [
            Account(
                organization=organization,
                account_id=a.account_id,
                name=a.name,
                type=a.type,
                subtype=a.subtype,
                mask=a.mask,
                currency=a.currency or "",
            )
            for a in accounts
        ],
        update_conflicts=True,
        unique_fields=["organization", "account_id"],
        update_fields=["name", "type", "subtype", "mask", "updated_at"],
    )
    # Currency is set only where it was still blank (an account created without one).
    for a in accounts:
        if a.currency:
            Account.objects.filter(
                organization=organization, account_id=a.account_id, currency=""
            ).update(currency=a.currency)
    # A new or different account number (services left only those on the rows), encrypted
    # under the primary key; the rows are locked already, in order, by the upsert above.
    numbered = [a for a in accounts if a.account_number is not None]
    if numbered:
        key = crypto.primary_key_id()
        for a in numbered:
            assert a.account_number is not None
            Account.objects.filter(organization=organization, account_id=a.account_id).update(
                account_number_encrypted=crypto.encrypt(a.account_number),
                account_number_key=key,
            )


def _ingest_response(batch: Batch, counts: UpsertCounts) -> dict[str, Any]:
    finished = counts.created + counts.updated == 0
    return {
        "batch_id": str(batch.id),
        "status": Batch.Status.COMPLETED if finished else Batch.Status.PENDING,
        "request_id": batch.request_id,
        "total_transactions": batch.total_transactions,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "deleted": counts.deleted,
        "links": {"self": batch_location(batch.id)},
    }


def _transactions_store(
    organization: Organization,
    batch_id: uuid.UUID,
    parsed: BatchIn,
    account_pks: dict[str, uuid.UUID],
    deleted_accounts: set[str],
    now: dt.datetime,
) -> UpsertCounts:
    """Upsert the batch's transactions; those of a deleted account are counted, not stored.

    A person deleted that account: what it held comes back with its restore, and what an
    integration keeps sending for it meanwhile is not kept (deleting an account is asking
    Lucro to stop holding its data). Each such row counts as ``deleted``.
    """
    rows = parsed.transactions
    if deleted_accounts:
        rows = [t for t in rows if t.account_id not in deleted_accounts]
    skipped = len(parsed.transactions) - len(rows)
    if not rows:
        return UpsertCounts(0, 0, 0, skipped)
    counts = store().transactions_upsert(
        organization_id=organization.id,
        batch_id=batch_id,
        rows=rows,
        account_pks=account_pks,
        now=now,
    )
    if not skipped:
        return counts
    return UpsertCounts(counts.created, counts.updated, counts.unchanged, counts.deleted + skipped)


def batch_store(
    *,
    organization: Organization,
    parsed: BatchIn,
    accounts: list[AccountIn],
    batch_id: uuid.UUID,
    api_key: ApiKey | None,
    request_hash: str,
    correlation_id: str,
) -> tuple[UpsertCounts, dict[str, Any]]:
    """Store a validated batch, its accounts and its transactions in one transaction.

    ``accounts`` are the accounts that need a write (new or changed). Locks are taken in
    one global order (the batch row, accounts by ``account_id``, transactions by key), so
    concurrent batches wait for each other instead of deadlocking; a deadlock that still
    happens (with an enrichment write-back) is for the caller to retry. Return the counts
    and the ``202`` body (stored for replays).
    """
    now = timezone.now()
    with transaction.atomic():
        # The batch row goes first: its unique (organization, request_id) makes a
        # concurrent request with the same key wait here, then fail, then replay.
        batch = Batch.objects.create(
            id=batch_id,
            organization=organization,
            api_key=api_key,
            request_id=parsed.request_id,
            request_hash=request_hash,
            correlation_id=correlation_id,
            total_transactions=len(parsed.transactions),
        )
        _accounts_upsert(organization, accounts)
        account_pks: dict[str, uuid.UUID] = {}
        deleted_accounts: set[str] = set()
        for account_id, pk, deleted_at in Account.objects.filter(
            organization=organization,
            account_id__in={t.account_id for t in parsed.transactions},
        ).values_list("account_id", "id", "deleted_at"):
            if deleted_at is None:
                account_pks[account_id] = pk
            else:
                deleted_accounts.add(account_id)
        counts = _transactions_store(
            organization, batch_id, parsed, account_pks, deleted_accounts, now
        )
        body_out = _ingest_response(batch, counts)
        finished = counts.created + counts.updated == 0
        Batch.objects.filter(pk=batch_id).update(
            created_count=counts.created,
            updated_count=counts.updated,
            unchanged_count=counts.unchanged,
            deleted_count=counts.deleted,
            response=body_out,
            # A batch with nothing new has nothing to enrich: it is done already.
            **({"status": Batch.Status.COMPLETED, "finished_at": now} if finished else {}),
        )
        if finished:
            # Finished on arrival: announced like any other batch reaching its end (a
            # webhook receiver waiting for batch.completed must hear of this one too).
            events.publish(events.batch_finished, batch_id=batch_id, status=Batch.Status.COMPLETED)
        else:
            dates = [t.date for t in parsed.transactions]
            events.transactions_changed_publish(
                organization_id=organization.id,
                account_ids=account_pks.values(),
                dates=(min(dates), max(dates)),
            )
            events.publish(events.batch_ready, batch_id=batch_id, rows=None, new=True)
    return counts, body_out


# --- A batch's status ---------------------------------------------------------------------

# Batches this process has marked started (committed), with their immutable received_at:
# a batch's later chunks then skip two queries. Bounded like any per-process cache.
_started: dict[uuid.UUID, dt.datetime | None] = {}
_STARTED_LIMIT = 10_000


def _remember_started(batch_id: uuid.UUID, received_at: dt.datetime | None) -> None:
    if len(_started) >= _STARTED_LIMIT:
        _started.clear()
    _started[batch_id] = received_at


def batch_start(*, batch_id: uuid.UUID, now: dt.datetime) -> dt.datetime | None:
    """Mark the batch ``processing`` (once); return when it was received.

    Call inside the transaction of the chunk that starts it.
    """
    if batch_id in _started:
        return _started[batch_id]
    Batch.objects.filter(pk=batch_id, status=Batch.Status.PENDING).update(
        status=Batch.Status.PROCESSING, started_at=now
    )
    received_at = Batch.objects.filter(pk=batch_id).values_list("received_at", flat=True).first()
    # Only once the mark is committed: a chunk rolled back must not skip it next time.
    transaction.on_commit(lambda: _remember_started(batch_id, received_at))
    return received_at


# Batches whose row set this process has seen complete (``total_transactions`` known, which
# never goes back to null). Bounded like ``_started``.
_complete: set[uuid.UUID] = set()


def _rows_complete(batch_id: uuid.UUID) -> bool:
    """Return whether every row of the batch is in it (a re-run still selecting is not)."""
    if batch_id in _complete:
        return True
    if not Batch.objects.filter(pk=batch_id, total_transactions__isnull=False).exists():
        return False
    if len(_complete) >= _STARTED_LIMIT:
        _complete.clear()
    _complete.add(batch_id)
    return True


def batch_in_flight(*, batch_id: uuid.UUID) -> bool:
    """Return whether any row of the batch is still pending or processing."""
    return store().batch_in_flight(batch_id=batch_id)


def batch_finish_check(*, batch_id: uuid.UUID) -> str | None:
    """Mark the batch completed or failed once none of its rows is in flight (SPEC §5).

    Runs after the chunk's transaction has committed, so the last of several concurrent
    workers always sees every row; the conditional update lets only one of them count it.
    A re-run still selecting its rows is not finished: its row set is read as complete
    *before* the in-flight probe, so every row its selection moved (committed with, or
    before, its total) is visible to that probe. Return the new status, if it changed.
    """
    if not _rows_complete(batch_id) or batch_in_flight(batch_id=batch_id):
        return None
    rows = Transaction.objects.filter(batch_id=batch_id)
    status = (
        Batch.Status.FAILED
        if rows.filter(ingestion_status=IngestionStatus.FAILED).exists()
        else Batch.Status.COMPLETED
    )
    now = timezone.now()
    finished = (
        Batch.objects.filter(pk=batch_id)
        .exclude(status=status)
        .update(status=status, finished_at=now)
    )
    Batch.objects.filter(pk=batch_id, started_at__isnull=True).update(started_at=now)
    if finished:
        BATCHES_FINISHED.labels(status).inc()
        logger.info("batch_finished", batch_id=str(batch_id), status=status)
        events.publish(events.batch_finished, batch_id=batch_id, status=status)
        return status
    return None


# --- Claims: a worker's chunk -------------------------------------------------------------


def transactions_claim(*, batch_id: uuid.UUID, limit: int, now: dt.datetime) -> Claim:
    """Mark up to ``limit`` pending rows of the batch ``processing`` under the token ``now``.

    Call inside a transaction. Every claim bumps each row's ``attempts`` counter.
    """
    return store().chunk_claim(batch_id=batch_id, limit=limit, now=now)


def transactions_reclaim(*, batch_id: uuid.UUID, token: dt.datetime, now: dt.datetime) -> Claim:
    """Re-stamp the rows still held under ``token`` (a retry after backoff); return them."""
    return store().chunk_reclaim(batch_id=batch_id, token=token, now=now)


def transactions_lock(*, batch_id: uuid.UUID, limit: int, now: dt.datetime) -> Claim:
    """Lock up to ``limit`` pending rows of the batch for this transaction; return them.

    For in-process enrichers only: the caller enriches and completes the rows *in the same
    transaction*. Rows stay ``pending`` until then, so a worker that dies simply releases
    its locks.
    """
    return store().chunk_lock(batch_id=batch_id, limit=limit, now=now)


def claim_mark_processing(*, claim: Claim) -> Claim:
    """Turn a lock-only claim into an ordinary one (``processing`` under its token)."""
    ids = [row.id for row in claim.rows]
    step = store().max_params()
    for start in range(0, len(ids), step):
        Transaction.objects.filter(
            id__in=ids[start : start + step], ingestion_status=IngestionStatus.PENDING
        ).update(
            ingestion_status=IngestionStatus.PROCESSING,
            claimed_at=claim.token,
            attempts=F("attempts") + 1,
        )
    return Claim(
        claim.batch_id,
        claim.token,
        claim.rows,
        claim.account_ids,
        claim.max_attempts + 1,
        locked=False,
        dates=claim.dates,
    )


def transactions_complete(*, claim: Claim, answers: Sequence[Answer], now: dt.datetime) -> int:
    """Store each row's answer and mark it completed; return how many rows were written.

    Call inside a transaction. Rows no longer held under the claim's token are skipped; a
    manual category is the user's and is left alone (the row is still completed).
    """
    if not claim.rows:
        return 0
    if len(answers) != len(claim.rows):
        raise ValueError("one answer per claimed row")
    written = store().chunk_write_back(claim=claim, answers=answers, now=now)
    events.transactions_changed_publish(account_ids=claim.account_ids, dates=claim.dates)
    return written


def transactions_fail_exhausted(*, claim: Claim, reason: str, max_attempts: int) -> int:
    """Mark the claim's rows that used their last attempt ``failed``; return how many."""
    failed = Transaction.objects.filter(
        batch_id=claim.batch_id,
        ingestion_status=IngestionStatus.PROCESSING,
        claimed_at=claim.token,
        attempts__gte=max_attempts,
    ).update(ingestion_status=IngestionStatus.FAILED, failure_reason=reason[:2000])
    if failed:
        events.transactions_changed_publish(account_ids=claim.account_ids, dates=claim.dates)
    return failed


def claim_held_count(*, claim: Claim) -> int:
    """Return how many rows are still held under the claim's token."""
    return Transaction.objects.filter(
        batch_id=claim.batch_id,
        ingestion_status=IngestionStatus.PROCESSING,
        claimed_at=claim.token,
    ).count()


# --- Recovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleResult:
    returned: int
    failed: int
    batch_ids: frozenset[uuid.UUID]


@transaction.atomic
def transactions_return_stale(*, stale: dt.datetime, max_attempts: int, reason: str) -> StaleResult:
    """Return rows ``processing`` since before ``stale`` to ``pending``; fail exhausted ones.

    Such a row belonged to a worker that died (or lost its database connection). A row
    that has used every attempt becomes ``failed`` with ``reason``.
    """
    stuck = Transaction.objects.filter(
        ingestion_status=IngestionStatus.PROCESSING, claimed_at__lt=stale
    )
    touched = set(stuck.values_list("batch_id", "account_id").distinct())
    failed = stuck.filter(attempts__gte=max_attempts).update(
        ingestion_status=IngestionStatus.FAILED, failure_reason=reason
    )
    returned = stuck.update(ingestion_status=IngestionStatus.PENDING, claimed_at=None)
    events.transactions_changed_publish(account_ids=(account for _, account in touched))
    return StaleResult(returned, failed, frozenset(batch for batch, _ in touched))


@transaction.atomic
def batch_retry_failed(*, batch: Batch) -> int:
    """Put the batch's failed rows back in the queue with fresh attempts; return how many."""
    rows = Transaction.objects.filter(batch=batch, ingestion_status=IngestionStatus.FAILED)
    accounts = set(rows.values_list("account_id", flat=True).distinct())
    count = rows.update(
        ingestion_status=IngestionStatus.PENDING, attempts=0, failure_reason=None, claimed_at=None
    )
    if count:
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.PROCESSING, finished_at=None)
        events.transactions_changed_publish(
            organization_id=batch.organization_id, account_ids=accounts
        )
        events.publish(events.batch_ready, batch_id=batch.pk, rows=None, new=False)
    logger.info("batch_retry", batch_id=str(batch.pk), requeued=count)
    return count


# --- Field keys ---------------------------------------------------------------------------


def accounts_reencrypt_chunk(*, after: uuid.UUID | None, limit: int) -> crypto.ReencryptChunk:
    """Re-encrypt under the primary key up to ``limit`` account numbers stored under another.

    One transaction per chunk, so an interrupted rotation keeps what it did and a rerun
    starts over with only what is left (rows record their key's id). Rows are taken in
    primary-key order after ``after``, so a pass walks the table once; rows that a
    concurrent ingest holds are skipped (SKIP LOCKED) and counted, for a later pass. Fernet
    keeps each value's timestamp; ``updated_at`` is not touched (the account did not change).
    """
    primary = crypto.primary_key_id()
    todo = Account.objects.filter(account_number_encrypted__isnull=False).exclude(
        account_number_key=primary
    )
    if after is not None:
        todo = todo.filter(pk__gt=after)
    with transaction.atomic():
        candidates = list(todo.order_by("pk").values_list("pk", flat=True)[:limit])
        if not candidates:
            return crypto.ReencryptChunk(0, None, 0)
        rows = list(
            todo.filter(pk__in=candidates)
            .select_for_update(skip_locked=True)
            .values_list("pk", "account_number_encrypted", "account_number_key")
        )
        pk_field = Account._meta.pk
        assert pk_field is not None
        params = []
        for pk, token, key in rows:
            assert token is not None  # the filter's
            token = crypto.reencrypt(token, stored_key_id=key)
            params.append((token, primary, pk_field.get_db_prep_value(pk, connection)))
        if params:
            # One statement run for each row (executemany; psycopg pipelines it): a chunk of
            # 500 took ≈ 50 ms on PostgreSQL, against ≈ 360 ms through bulk_update, whose
            # CASE … WHEN expressions Django builds row by row in Python (measured).
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE ingestion_account SET account_number_encrypted = %s, "
                    "account_number_key = %s WHERE id = %s",
                    params,
                )
    return crypto.ReencryptChunk(len(rows), candidates[-1], len(candidates) - len(rows))


# --- Re-categorisation jobs --------------------------------------------------------------


def _rerun_accounts_resolve(*, organization: Organization, account_ids: list[str]) -> None:
    """Refuse account ids the organization does not have (another tenant's are unknown)."""
    known = set(
        Account.objects.live()
        .filter(organization=organization, account_id__in=account_ids)
        .values_list("account_id", flat=True)
    )
    errors = [
        {"pointer": f"/account_ids/{index}", "detail": f"Unknown account {account_id!r}."}
        for index, account_id in enumerate(account_ids)
        if account_id not in known
    ]
    if errors:
        raise ValidationFailed(
            f"{len(errors)} unknown account id(s); no re-run was started.", errors=errors
        )


def rerun_running(*, organization: Organization, scope: RerunScope) -> Batch | None:
    """Return the organization's unfinished re-run whose scope overlaps ``scope``, if any."""
    running = Batch.objects.filter(
        organization=organization, kind=Batch.Kind.RERUN, status__in=_UNFINISHED
    ).order_by("received_at")
    for job in running:
        if scope.overlaps(RerunScope.from_json(job.scope or {})):
            return job
    return None


def rerun_open(
    *,
    organization: Organization,
    account_ids: list[str] | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    only_uncategorised: bool = False,
) -> Batch:
    """Open a re-categorisation job over the scope; return the job.

    No row is touched here: the workers move the matching settled, non-manual rows into the
    job chunk by chunk (``rerun_select_chunk``). Unknown account ids (another tenant's
    included) are a 400; a still-running job of the organization whose scope overlaps is a
    409 naming it (``Conflict``), so a re-run cannot be stacked on itself.
    """
    if account_ids is not None:
        _rerun_accounts_resolve(organization=organization, account_ids=account_ids)
    scope = RerunScope(
        frozenset(account_ids) if account_ids is not None else None,
        start_date,
        end_date,
        only_uncategorised,
    )
    with transaction.atomic():
        # The organization's row lock makes "is one running?" and "open one" a single step:
        # of two concurrent requests, the second waits here and then sees the first's job.
        # (SQLite: every transaction begins IMMEDIATE, which serialises them already.)
        list(Organization.objects.select_for_update().filter(pk=organization.pk).values("pk"))
        running = rerun_running(organization=organization, scope=scope)
        if running is not None:
            location = batch_location(running.pk)
            raise Conflict(
                f"A re-run of an overlapping scope is still running: {running.pk}. "
                "Wait for it to finish (follow its link), or narrow the accounts or dates.",
                code="rerun-running",
                title="A re-run is already running",
                extra={"batch_id": str(running.pk), "links": {"batch": location}},
            )
        job = Batch.objects.create(
            organization=organization,
            kind=Batch.Kind.RERUN,
            total_transactions=None,
            scope=scope.as_json(),
        )
        events.publish(events.rerun_selecting, batch_id=job.pk)
    logger.info("rerun_queued", batch_id=str(job.pk), scope=job.scope)
    return job


@dataclass(frozen=True)
class RerunChunkResult:
    moved: int
    done: bool


def _rerun_rows_lock(
    *,
    organization_id: uuid.UUID,
    account: uuid.UUID,
    scope: RerunScope,
    after: tuple[dt.date, uuid.UUID] | None,
    limit: int,
) -> list[tuple[uuid.UUID, dt.date]]:
    """Lock the account's next ``limit`` rows in scope after ``after``; return (id, date)s.

    Settled rows only: rows in flight are categorised with the current rules anyway, and a
    manual category is the user's. ``SKIP LOCKED``: a row another transaction holds is
    being changed right now (a re-ingest, a manual PATCH), so it is skipped rather than
    waited for — the selection never waits on a row lock, so it cannot deadlock on rows.
    """
    rows = Transaction.objects.filter(
        organization_id=organization_id,
        account_id=account,
        ingestion_status__in=[IngestionStatus.COMPLETED, IngestionStatus.FAILED],
        deleted_at__isnull=True,
    ).exclude(category_source=CategorySource.MANUAL)
    if scope.start_date is not None:
        rows = rows.filter(date__gte=scope.start_date)
    if scope.end_date is not None:
        rows = rows.filter(date__lte=scope.end_date)
    if scope.only_uncategorised:
        rows = rows.filter(category__isnull=True)
    if after is not None:
        # (date, id) > after, written so that the index range starts at ``date >= after``.
        rows = rows.filter(date__gte=after[0]).filter(Q(date__gt=after[0]) | Q(id__gt=after[1]))
    return list(
        rows.order_by("date", "id")
        .select_for_update(skip_locked=True)
        .values_list("id", "date")[:limit]
    )


def _rerun_rows_move(*, job_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Re-point rows to the job as ``pending`` with fresh attempts (the triggers take them
    out of the report rollups until they are settled again)."""
    step = store().max_params()
    for start in range(0, len(ids), step):
        Transaction.objects.filter(pk__in=ids[start : start + step]).update(
            batch_id=job_id,
            ingestion_status=IngestionStatus.PENDING,
            attempts=0,
            failure_reason=None,
            claimed_at=None,
            completed_at=None,
        )


def rerun_select_chunk(*, batch_id: uuid.UUID | str, budget: int) -> RerunChunkResult:
    """Move the next chunk of a re-run's scope into the job, in one transaction.

    At most ``budget`` rows move, and a chunk stops early after probing as many accounts
    (an empty account costs a probe). On commit it announces the rows it moved
    (``batch_ready`` with their count) and, unless the scope is exhausted, that the job is
    still selecting (``rerun_selecting``); the last chunk records ``total_transactions``,
    from which on the job can finish like any batch.

    Safe to repeat and to run twice at once: the job row's lock serialises chunks of one
    job, and each starts from the cursor the previous one committed with its rows. A
    worker killed mid-chunk rolls it back whole; the redelivered message (or the sweeper)
    does it again.
    """
    job_id = uuid.UUID(str(batch_id))
    now = timezone.now()
    with transaction.atomic():
        job = (
            Batch.objects.select_for_update()
            .filter(pk=job_id, kind=Batch.Kind.RERUN)
            .only("organization_id", "status", "total_transactions", "scope", "selection_cursor")
            .first()
        )
        if job is None or job.total_transactions is not None:
            return RerunChunkResult(0, True)  # gone, or finished selecting (a duplicate)
        scope = RerunScope.from_json(job.scope or {})
        cursor = RerunCursor.from_json(job.selection_cursor)
        accounts = Account.objects.live().filter(organization_id=job.organization_id)
        if scope.account_ids is not None:
            accounts = accounts.filter(account_id__in=scope.account_ids)
        if cursor.account is not None:
            accounts = accounts.filter(pk__gte=cursor.account)
        # Each account costs at least one unit of the budget, so budget + 1 accounts are
        # always enough to know where the next chunk starts.
        pending = list(accounts.order_by("pk").values_list("pk", flat=True)[: budget + 1])

        spent, moved, done = 0, 0, True
        touched: set[uuid.UUID] = set()
        first: dt.date | None = None
        last: dt.date | None = None
        for account in pending:
            after = cursor.after if str(account) == cursor.account else None
            if spent >= budget:
                cursor = RerunCursor(str(account), after, cursor.selected)
                done = False
                break
            limit = budget - spent
            rows = _rerun_rows_lock(
                organization_id=job.organization_id,
                account=account,
                scope=scope,
                after=after,
                limit=limit,
            )
            spent += max(1, len(rows))
            if rows:
                _rerun_rows_move(job_id=job_id, ids=[row[0] for row in rows])
                moved += len(rows)
                touched.add(account)
                # Rows come in date order within an account.
                first = min(first or rows[0][1], rows[0][1])
                last = max(last or rows[-1][1], rows[-1][1])
                after = (rows[-1][1], rows[-1][0])
            cursor = RerunCursor(str(account), after, cursor.selected + len(rows))
            if len(rows) == limit:  # the budget ran out inside this account
                done = False
                break

        update: dict[str, Any] = {"selection_cursor": cursor.as_json()}
        if done:
            update["total_transactions"] = cursor.selected
        if job.status == Batch.Status.PENDING:
            update.update(status=Batch.Status.PROCESSING, started_at=now)
        Batch.objects.filter(pk=job_id).update(**update)
        if moved:
            assert first is not None and last is not None
            events.transactions_changed_publish(
                organization_id=job.organization_id, account_ids=touched, dates=(first, last)
            )
            events.publish(events.batch_ready, batch_id=job_id, rows=moved, new=False)
        if not done:
            events.publish(events.rerun_selecting, batch_id=job_id)
    logger.info("rerun_chunk_selected", batch_id=str(job_id), moved=moved, done=done)
    if done:
        logger.info("rerun_selected", batch_id=str(job_id), transactions=cursor.selected)
        batch_finish_check(batch_id=job_id)
    return RerunChunkResult(moved, done)


# --- Deletes, restores and the purge ------------------------------------------------------
#
# A transaction's delete stamps its ``deleted_at``: the rollup triggers stop counting it in
# the same statement, so every report moves with the delete, exactly. An account's delete
# stamps the account only (one row, whatever its size): its transactions disappear with it
# through ``live()`` and the reports' account filter, and come back with its restore —
# except those deleted on their own before, which keep their own ``deleted_at``. Either can
# be restored for SOFT_DELETE_RETENTION_DAYS; then the purge removes it for good.


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Return the moment before which a deleted row is past restoring (due for purge)."""
    return (now or timezone.now()) - dt.timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS)


@dataclass(frozen=True)
class Removal:
    """A delete or a restore: the row's key and whether this call changed anything."""

    pk: uuid.UUID
    changed: bool


def _transaction_row(organization: Organization, pk: uuid.UUID) -> tuple[Any, ...] | None:
    """Lock and return (account pk, date, deleted_at) of a transaction of a live account."""
    return (
        Transaction.objects.filter(
            organization=organization, pk=pk, account__deleted_at__isnull=True
        )
        .select_for_update(of=("self",))
        .values_list("account_id", "date", "deleted_at")
        .first()
    )


@transaction.atomic
def transaction_delete(*, organization: Organization, transaction_pk: uuid.UUID | str) -> Removal:
    """Soft-delete one live transaction; a deleted or missing one is a 404."""
    pk = _transaction_pk(transaction_pk)
    found = _transaction_row(organization, pk)
    if found is None or found[2] is not None:
        raise NotFound("No such transaction.")
    account_pk, date, _ = found
    now = timezone.now()
    Transaction.objects.filter(pk=pk).update(deleted_at=now, updated_at=now)
    events.transactions_changed_publish(
        organization_id=organization.pk, account_ids=[account_pk], dates=(date, date)
    )
    return Removal(pk, changed=True)


@transaction.atomic
def transaction_restore(*, organization: Organization, transaction_pk: uuid.UUID | str) -> Removal:
    """Bring back a transaction deleted on its own; a live one is left as it is.

    Past its retention (or of a deleted account, which comes back only with its account)
    it is a 404, as if already purged.
    """
    pk = _transaction_pk(transaction_pk)
    found = _transaction_row(organization, pk)
    if found is None or (found[2] is not None and found[2] < retention_cutoff()):
        raise NotFound("No such transaction.")
    account_pk, date, deleted_at = found
    if deleted_at is None:
        return Removal(pk, changed=False)
    Transaction.objects.filter(pk=pk).update(deleted_at=None, updated_at=timezone.now())
    events.transactions_changed_publish(
        organization_id=organization.pk, account_ids=[account_pk], dates=(date, date)
    )
    return Removal(pk, changed=True)


@transaction.atomic
def account_delete(*, organization: Organization, account_id: str) -> Removal:
    """Soft-delete a live account and, with it, every transaction it holds."""
    found = (
        Account.objects.live()
        .filter(organization=organization, account_id=account_id)
        .select_for_update()
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise NotFound("No such account.")
    now = timezone.now()
    Account.objects.filter(pk=found).update(deleted_at=now, updated_at=now)
    events.transactions_changed_publish(organization_id=organization.pk, account_ids=[found])
    return Removal(found, changed=True)


@transaction.atomic
def account_restore(*, organization: Organization, account_id: str) -> Removal:
    """Bring back a deleted account with the transactions deleted with it (not the others)."""
    found = (
        Account.objects.filter(organization=organization, account_id=account_id)
        .select_for_update()
        .values_list("pk", "deleted_at")
        .first()
    )
    if found is None or (found[1] is not None and found[1] < retention_cutoff()):
        raise NotFound("No such account.")
    pk, deleted_at = found
    if deleted_at is None:
        return Removal(pk, changed=False)
    Account.objects.filter(pk=pk).update(deleted_at=None, updated_at=timezone.now())
    events.transactions_changed_publish(organization_id=organization.pk, account_ids=[pk])
    return Removal(pk, changed=True)


# Rows the purge deletes per database transaction: each chunk is a short transaction whose
# row locks (and the rollup rows its DELETE trigger adjusts) are released at its end, so a
# purge of a million-row account never holds up ingestion or a worker for long; 5 000 rows
# is one statement of a few hundred milliseconds on this class of machine.
PURGE_CHUNK = 5_000


@dataclass(frozen=True)
class PurgeResult:
    transactions: int
    accounts: int


def _purge_rows(rows: Any, chunk: int) -> int:
    """Delete ``rows`` (a Transaction queryset) ``chunk`` at a time; return how many."""
    total = 0
    while True:
        with transaction.atomic():
            ids = list(rows.values_list("pk", flat=True)[:chunk])
            if not ids:
                return total
            # No receivers or cascades hang off a transaction: Django deletes in one query.
            total += rows.filter(pk__in=ids).delete()[0]


def deleted_purge(*, now: dt.datetime | None = None, chunk: int = PURGE_CHUNK) -> PurgeResult:
    """Delete for good what was deleted before SOFT_DELETE_RETENTION_DAYS ago.

    In chunks, each in its own transaction: interrupted, the next run goes on where this one
    stopped. Nothing a report counts changes (a deleted row or account is already left
    out), so nothing is announced.
    """
    cutoff = retention_cutoff(now)
    purged = _purge_rows(Transaction.objects.filter(deleted_at__lt=cutoff), chunk)
    accounts = 0
    for pk in Account.objects.filter(deleted_at__lt=cutoff).values_list("pk", flat=True):
        purged += _purge_rows(Transaction.objects.filter(account_id=pk), chunk)
        # Re-checked against the cutoff, as a restore checks it: the two cannot both win.
        accounts += (
            Account.objects.filter(pk=pk, deleted_at__lt=cutoff)
            .delete()[1]
            .get("ingestion.Account", 0)
        )
    if purged or accounts:
        logger.info("deleted_purged", transactions=purged, accounts=accounts)
    return PurgeResult(purged, accounts)


# --- A person's correction ----------------------------------------------------------------


def _category_by_slug(slug: str | None) -> Category | None:
    if slug is None:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise ValidationFailed(
            f"No category {slug!r}.",
            errors=[{"pointer": "/category", "detail": f"No category {slug!r}."}],
        )
    return category


@dataclass(frozen=True)
class CategoryChange:
    """A manual category set on one transaction: what it had before, and what it has now."""

    transaction_id: uuid.UUID
    before_id: uuid.UUID | None
    after: Category | None


def transaction_categorise(
    *, organization: Organization, transaction_pk: uuid.UUID | str, category_slug: str | None
) -> CategoryChange:
    """Record a manual category, named by slug (or none), for one transaction."""
    pk = _transaction_pk(transaction_pk)  # a malformed id is a 404 before a bad slug's 400
    return transaction_category_set(
        organization=organization, transaction_pk=pk, category=_category_by_slug(category_slug)
    )


def _transaction_pk(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError) as exc:
        raise NotFound("No such transaction.") from exc


@transaction.atomic
def transaction_category_set(
    *, organization: Organization, transaction_pk: uuid.UUID | str, category: Category | None
) -> CategoryChange:
    """Record a manual category (or none) for one transaction; rule runs keep it.

    The API's PATCH and the admin's edit both land here. One conditional UPDATE: the
    rollup trigger moves the row between categories in the same transaction, and the
    account's cached reports are invalidated on commit. Another tenant's transaction is as
    missing as a made-up id.
    """
    pk = _transaction_pk(transaction_pk)
    rows = Transaction.objects.live().filter(organization=organization, pk=pk)
    # The same read fetches what the correction teaches (the merchant and the direction),
    # so announcing it costs no second query, and the category it replaces (for the audit
    # log). It locks the row it reads (the UPDATE below would anyway): an enrichment
    # write-back cannot change the category between this read and the UPDATE.
    found = (
        rows.select_for_update()
        .values_list("account_id", "date", "description", "merchant_name", "amount", "category_id")
        .first()
    )
    if found is None:
        raise NotFound("No such transaction.")
    account_pk, date, description, merchant_name, amount, before_id = found
    rows.update(
        category=category,
        category_source=CategorySource.MANUAL,
        category_confidence=1.0,
        category_rule_id=None,
        category_model_version=None,
        updated_at=timezone.now(),
    )
    events.transactions_changed_publish(
        organization_id=organization.pk, account_ids=[account_pk], dates=(date, date)
    )
    events.publish(
        events.transaction_categorised,
        organization_id=organization.pk,
        transaction_id=pk,
        category_id=category.pk if category is not None else None,
        description=description,
        merchant_name=merchant_name,
        money_in=amount > 0,
    )
    return CategoryChange(transaction_id=pk, before_id=before_id, after=category)
