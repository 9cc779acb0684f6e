"""Enrichment writes: fan a batch out, process a chunk, sweep, retry, re-run, edit rules."""

from __future__ import annotations

import datetime as dt
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lucro.core.errors import ValidationFailed
from lucro.enrichment import claims
from lucro.enrichment.chain import Answer, chain_run, enrichers_configured
from lucro.enrichment.models import BatchDispatch, Category, Rule
from lucro.enrichment.patterns import pattern_quoted
from lucro.enrichment.rules_version import rules_version_bump
from lucro.ingestion.models import Account, Batch, CategorySource, IngestionStatus, Transaction
from lucro.ops.metrics import (
    BATCHES_FINISHED,
    CHUNK_DURATION,
    ENRICHMENT_FAILURES,
    ENRICHMENT_LATENCY,
    ENRICHMENT_OUTCOMES,
    histogram_observe_many,
)
from lucro.reports.cache import accounts_touched
from lucro.tenancy.models import Organization

logger = structlog.get_logger(__name__)


# --- Queueing -----------------------------------------------------------------------------


def _dispatch_record(batch_ids: Iterable[uuid.UUID | str], now: dt.datetime) -> None:
    BatchDispatch.objects.bulk_create(
        [BatchDispatch(batch_id=uuid.UUID(str(pk)), enqueued_at=now) for pk in batch_ids],
        update_conflicts=True,
        unique_fields=["batch"],
        update_fields=["enqueued_at"],
    )


def _send_batch(batch_id: str) -> None:
    from lucro.enrichment.tasks import enrich_batch

    try:
        enrich_batch.delay(batch_id)
    except Exception:
        # The sweeper re-queues batches whose message never made it.
        logger.exception("enqueue_failed", batch_id=batch_id)


def batch_enqueue(*, batch_id: uuid.UUID | str) -> None:
    """Queue enrichment of a batch once the current transaction commits."""
    _dispatch_record([batch_id], timezone.now())
    transaction.on_commit(lambda: _send_batch(str(batch_id)))


def chunks_per_task() -> int:
    """How many chunks one chunk task works through (``ENRICH_CHUNKS_PER_TASK``).

    Only the fast path takes several: a slow chain (I/O, simulated latency) keeps one chunk
    per task, so no task runs long.
    """
    return settings.ENRICH_CHUNKS_PER_TASK if chain_is_in_process() else 1


def batch_fan_out(*, batch_id: uuid.UUID | str) -> int:
    """Queue one chunk task per share of the batch's pending rows; return how many.

    A share is ``ENRICH_CHUNK_SIZE`` × ``chunks_per_task()`` rows: several workers still
    share a large batch, and a task's own overhead is spread over several chunks.
    """
    from lucro.enrichment.tasks import enrich_chunk

    pending = Transaction.objects.filter(
        batch_id=batch_id, ingestion_status=IngestionStatus.PENDING
    ).count()
    _dispatch_record([batch_id], timezone.now())
    if not pending:
        batch_finish_check(batch_id=uuid.UUID(str(batch_id)))
        return 0
    tasks = math.ceil(pending / (settings.ENRICH_CHUNK_SIZE * chunks_per_task()))
    for _ in range(tasks):
        enrich_chunk.delay(str(batch_id))
    logger.info("batch_fanned_out", batch_id=str(batch_id), pending=pending, tasks=tasks)
    return tasks


# --- One chunk ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkResult:
    claimed: int
    written: int
    failed: int
    retry_token: dt.datetime | None = None
    retry_countdown: float = 0.0


# Batches this process has marked started (committed), with their immutable received_at:
# a batch's later chunks then skip two queries. Bounded like any per-process cache.
_started: dict[uuid.UUID, dt.datetime | None] = {}
_STARTED_LIMIT = 10_000


def _remember_started(batch_id: uuid.UUID, received_at: dt.datetime | None) -> None:
    if len(_started) >= _STARTED_LIMIT:
        _started.clear()
    _started[batch_id] = received_at


def _batch_started(batch_id: uuid.UUID, now: dt.datetime) -> dt.datetime | None:
    """Mark the batch ``processing`` (once); return when it was received."""
    if batch_id in _started:
        return _started[batch_id]
    Batch.objects.filter(pk=batch_id, status=Batch.Status.PENDING).update(
        status=Batch.Status.PROCESSING, started_at=now
    )
    received_at = Batch.objects.filter(pk=batch_id).values_list("received_at", flat=True).first()
    # Only once the mark is committed: a chunk rolled back must not skip it next time.
    transaction.on_commit(lambda: _remember_started(batch_id, received_at))
    return received_at


def _backoff(attempts: int) -> float:
    # Exponential, and always well inside the visibility timeout so the sweeper does not
    # take back rows that are only waiting out their backoff.
    delay = settings.ENRICH_RETRY_BACKOFF ** max(1, attempts)
    return float(min(delay, settings.ENRICH_VISIBILITY_TIMEOUT / 2))


def chain_is_in_process() -> bool:
    """Return whether every configured enricher answers in-process, without I/O waits.

    Such a chain runs inside the claiming transaction (the fast path); anything slower —
    an external API, simulated latency — claims rows visibly ``processing`` first, so that
    no transaction stays open while it waits.
    """
    return settings.ENRICH_SIMULATED_LATENCY is None and all(
        getattr(enricher, "in_process", False) for enricher in enrichers_configured()
    )


def chunk_process(
    *, batch_id: uuid.UUID | str, retry_token: dt.datetime | None = None
) -> ChunkResult:
    """Claim a chunk of the batch, run the chain, write the answers back.

    With ``retry_token``, take back the rows still held under that claim instead (a retry
    after backoff). An enricher's exception fails the rows that used their last attempt and
    asks for a retry of the others (``ChunkResult.retry_token``).
    """
    batch_pk = uuid.UUID(str(batch_id))
    if retry_token is None and chain_is_in_process():
        return _chunk_process_locked(batch_pk)
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        if retry_token is None:
            claim = claims.chunk_claim(batch_id=batch_pk, limit=settings.ENRICH_CHUNK_SIZE, now=now)
        else:
            claim = claims.chunk_reclaim(batch_id=batch_pk, token=retry_token, now=now)
        received_at = _batch_started(batch_pk, now) if claim.rows else None
    if not claim.rows:
        batch_finish_check(batch_id=batch_pk)
        return ChunkResult(0, 0, 0)

    try:
        answers = chain_run(claim.rows)
    except Exception as exc:
        return _chunk_failed(claim, exc, started)

    with transaction.atomic():
        written = claims.chunk_write_back(claim=claim, answers=answers, now=timezone.now())
        accounts_touched(claim.account_ids)
    return _chunk_done(claim, answers, written, received_at, started)


@dataclass(frozen=True)
class ShareResult:
    written: int
    retry_token: dt.datetime | None = None
    retry_countdown: float = 0.0
    # Stopped (by a failing chunk) before its share was done: queue a task for the rest.
    unfinished: bool = False


def share_process(
    *, batch_id: uuid.UUID | str, retry_token: dt.datetime | None = None
) -> ShareResult:
    """Run one chunk task's share: up to ``chunks_per_task()`` chunks, each in its own
    transaction, stopping at the first claim that comes back short (nothing left to claim;
    rows other workers hold are theirs to finish).

    Why several: with one real worker process and one chunk per task, consecutive 2 000-row
    chunks completed ≈ 62–66 ms apart, against ≈ 54 ms in-process — ≈ 8–12 ms of per-task
    overhead (broker round trip, pool hand-off, Celery's bookkeeping), a sixth of a chunk.
    A retry (with ``retry_token``) is one chunk.
    """
    share = 1 if retry_token is not None else chunks_per_task()
    written = 0
    for done in range(1, share + 1):
        result = chunk_process(batch_id=batch_id, retry_token=retry_token)
        written += result.written
        full = result.claimed == settings.ENRICH_CHUNK_SIZE  # else: nothing left to claim
        if result.retry_token is not None:
            return ShareResult(
                written, result.retry_token, result.retry_countdown, done < share and full
            )
        if not full:
            break
    return ShareResult(written)


def _chunk_process_locked(batch_pk: uuid.UUID) -> ChunkResult:
    """The fast path: lock, enrich and write back in one transaction (one write per row)."""
    started = time.perf_counter()
    now = timezone.now()
    failure: Exception | None = None
    with transaction.atomic():
        claim = claims.chunk_lock(batch_id=batch_pk, limit=settings.ENRICH_CHUNK_SIZE, now=now)
        if not claim.rows:
            answers: list[Answer] = []
        else:
            received_at = _batch_started(batch_pk, now)
            try:
                with transaction.atomic():  # a savepoint: the chain may query the database
                    answers = chain_run(claim.rows)
            except Exception as exc:
                failure = exc
                claim = claims.chunk_mark_processing(claim=claim)
            else:
                written = claims.chunk_write_back(claim=claim, answers=answers, now=timezone.now())
                accounts_touched(claim.account_ids)
    if not claim.rows:
        batch_finish_check(batch_id=batch_pk)
        return ChunkResult(0, 0, 0)
    if failure is not None:
        return _chunk_failed(claim, failure, started)
    return _chunk_done(claim, answers, written, received_at, started)


def _chunk_done(
    claim: claims.Claim,
    answers: list[Answer],
    written: int,
    received_at: dt.datetime | None,
    started: float,
) -> ChunkResult:
    _observe(answers, received_at, started)
    batch_finish_check(batch_id=claim.batch_id)
    logger.info("chunk_enriched", batch_id=str(claim.batch_id), claimed=len(claim), written=written)
    return ChunkResult(len(claim), written, 0)


def _chunk_failed(claim: claims.Claim, exc: Exception, started: float) -> ChunkResult:
    reason = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        failed = claims.chunk_fail_exhausted(
            claim=claim, reason=reason, max_attempts=settings.ENRICH_MAX_ATTEMPTS
        )
        held = claims.chunk_held_count(claim=claim)
        if failed:
            accounts_touched(claim.account_ids)
    ENRICHMENT_FAILURES.inc(failed)
    CHUNK_DURATION.observe(time.perf_counter() - started)
    logger.warning(
        "chunk_failed",
        batch_id=str(claim.batch_id),
        rows=len(claim),
        failed=failed,
        retrying=held,
        attempts=claim.max_attempts,
        reason=reason,
    )
    if not held:
        batch_finish_check(batch_id=claim.batch_id)
        return ChunkResult(len(claim), 0, failed)
    return ChunkResult(
        len(claim), 0, failed, retry_token=claim.token, retry_countdown=_backoff(claim.max_attempts)
    )


def _observe(answers: list[Answer], received_at: dt.datetime | None, started: float) -> None:
    for source, count in Counter(a.source for a in answers).items():
        ENRICHMENT_OUTCOMES.labels(source).inc(count)
    if received_at is not None:
        latency = (timezone.now() - received_at).total_seconds()
        histogram_observe_many(ENRICHMENT_LATENCY, latency, len(answers))
    CHUNK_DURATION.observe(time.perf_counter() - started)


def batch_finish_check(*, batch_id: uuid.UUID) -> str | None:
    """Mark the batch completed or failed once none of its rows is in flight (SPEC §5).

    Runs after the chunk's transaction has committed, so the last of several concurrent
    workers always sees every row; the conditional update lets only one of them count it.
    """
    if claims.batch_in_flight(batch_id=batch_id):
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
        return status
    return None


# --- Recovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    returned: int
    failed: int
    requeued_batches: int


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Return stuck rows to the queue and re-queue batches whose message was lost.

    A row ``processing`` for longer than ``ENRICH_VISIBILITY_TIMEOUT`` belonged to a worker
    that died (or lost its database connection): it goes back to ``pending``, or to
    ``failed`` once it has used every attempt. A batch with pending rows and no enqueue
    within the same timeout is queued again; a duplicate message is harmless because a
    chunk task only ever claims what is still pending.
    """
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT)
    max_attempts = settings.ENRICH_MAX_ATTEMPTS
    stuck = Transaction.objects.filter(
        ingestion_status=IngestionStatus.PROCESSING, claimed_at__lt=stale
    )
    with transaction.atomic():
        touched = set(stuck.values_list("batch_id", "account_id").distinct())
        failed = stuck.filter(attempts__gte=max_attempts).update(
            ingestion_status=IngestionStatus.FAILED,
            failure_reason=f"No result within {settings.ENRICH_VISIBILITY_TIMEOUT} s "
            f"after {max_attempts} attempts (worker lost?)",
        )
        returned = stuck.update(ingestion_status=IngestionStatus.PENDING, claimed_at=None)
        accounts_touched(account for _, account in touched)
    ENRICHMENT_FAILURES.inc(failed)

    swept = {batch for batch, _ in touched}
    waiting = set(
        Transaction.objects.filter(ingestion_status=IngestionStatus.PENDING)
        .values_list("batch_id", flat=True)
        .distinct()
    )
    recent = set(
        BatchDispatch.objects.filter(batch_id__in=waiting, enqueued_at__gte=stale).values_list(
            "batch_id", flat=True
        )
    )
    young = set(
        Batch.objects.filter(pk__in=waiting, received_at__gte=stale).values_list("pk", flat=True)
    )
    lost = (waiting - recent - young) | (swept & waiting)
    for batch_id in lost:
        batch_enqueue(batch_id=batch_id)
    unfinished = Batch.objects.filter(status__in=[Batch.Status.PENDING, Batch.Status.PROCESSING])
    for batch_id in unfinished.exclude(pk__in=waiting).values_list("pk", flat=True)[:1000]:
        batch_finish_check(batch_id=batch_id)
    if returned or failed or lost:
        logger.info("sweep", returned=returned, failed=failed, requeued_batches=len(lost))
    return SweepResult(returned, failed, len(lost))


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
        accounts_touched(accounts)
        batch_enqueue(batch_id=batch.pk)
    logger.info("batch_retry", batch_id=str(batch.pk), requeued=count)
    return count


@transaction.atomic
def categorisation_rerun(
    *,
    organization: Organization,
    account_ids: list[str] | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    only_uncategorised: bool = False,
) -> Batch:
    """Move the matching settled, non-manual transactions into a new ``rerun`` batch.

    Rows still in flight are left where they are: they will be categorised with the
    current rules anyway. Manual categories are the user's and are never re-run.
    """
    rows = Transaction.objects.filter(
        organization=organization,
        ingestion_status__in=[IngestionStatus.COMPLETED, IngestionStatus.FAILED],
    ).exclude(category_source=CategorySource.MANUAL)
    if account_ids is not None:
        pks = list(
            Account.objects.filter(
                organization=organization, account_id__in=account_ids
            ).values_list("pk", flat=True)
        )
        rows = rows.filter(account_id__in=pks)
    if start_date is not None:
        rows = rows.filter(date__gte=start_date)
    if end_date is not None:
        rows = rows.filter(date__lte=end_date)
    if only_uncategorised:
        rows = rows.filter(category__isnull=True)
    batch = Batch.objects.create(organization=organization, kind="rerun")
    accounts = set(rows.values_list("account_id", flat=True).distinct())
    count = rows.update(
        batch=batch,
        ingestion_status=IngestionStatus.PENDING,
        attempts=0,
        failure_reason=None,
        claimed_at=None,
        completed_at=None,
    )
    now = timezone.now()
    Batch.objects.filter(pk=batch.pk).update(
        total_transactions=count,
        **(
            {"status": Batch.Status.COMPLETED, "started_at": now, "finished_at": now}
            if not count
            else {}
        ),
    )
    batch.refresh_from_db()
    if count:
        accounts_touched(accounts)
        batch_enqueue(batch_id=batch.pk)
    logger.info("rerun_started", batch_id=str(batch.pk), transactions=count)
    return batch


# --- Rules --------------------------------------------------------------------------------


def _rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {
        k: v
        for k, v in data.items()
        if k in ("pattern", "field", "match_type", "direction", "priority", "is_active")
    }
    if "category" in data:
        fields["category"] = data["category"]
    if fields.get("direction") in ("", None):
        fields["direction"] = Rule.Direction.ANY
    return fields


def _counts_as_regex(rule: Rule) -> bool:
    return (
        rule.organization_id is not None
        and rule.match_type == Rule.MatchType.REGEX
        and rule.is_active
    )


def _regex_room_check(*, rule: Rule) -> None:
    """Refuse ``rule`` as one active regex rule too many for its organization.

    Call inside the write's transaction: the organization's row is locked first, so two
    concurrent writes cannot both see room for the last one (SQLite serialises writes).
    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: the foreign-key checks of concurrent ingests
    (``FOR KEY SHARE`` on the same row) must not wait for a rule write, nor it for them.
    Substring rules share one automaton, but regex rules are searched one by one, in every
    web and worker process: the limit (``RULE_MAX_REGEX_PER_ORGANIZATION``) bounds what one
    tenant adds to every process's matching and memory.
    """
    organization_id = rule.organization_id
    if organization_id is None:  # a global rule: no tenant's limit
        return
    limit = settings.RULE_MAX_REGEX_PER_ORGANIZATION
    Organization.objects.select_for_update(no_key=True).only("pk").get(pk=organization_id)
    others = Rule.objects.filter(
        organization_id=organization_id, match_type=Rule.MatchType.REGEX, is_active=True
    )
    count = others.exclude(pk=rule.pk).count()
    if count >= limit:
        detail = (
            f"The regex rule {pattern_quoted(rule.pattern)} is refused: the organization "
            f"already has {count} active regex rules, the most it may have "
            f"(RULE_MAX_REGEX_PER_ORGANIZATION = {limit}). Deactivate or delete one, or use "
            "contains, starts_with or exact."
        )
        raise ValidationFailed(detail, errors=[{"pointer": "/match_type", "detail": detail}])


@transaction.atomic
def rule_create(
    *,
    organization: Organization | None,
    category: Category,
    pattern: str,
    field: str = Rule.Field.EITHER,
    match_type: str = Rule.MatchType.CONTAINS,
    direction: str = Rule.Direction.ANY,
    priority: int = 50,
    is_active: bool = True,
) -> Rule:
    """Create a rule; running workers pick it up on their next chunk."""
    rule = Rule(
        organization=organization,
        category=category,
        pattern=pattern,
        field=field,
        match_type=match_type,
        direction=direction or Rule.Direction.ANY,
        priority=priority,
        is_active=is_active,
    )
    if _counts_as_regex(rule):
        _regex_room_check(rule=rule)
    rule.save()
    rules_version_bump()
    return rule


@transaction.atomic
def rule_update(*, rule: Rule, data: dict[str, Any]) -> Rule:
    """Change some of a rule's fields; running workers pick it up on their next chunk."""
    counted = _counts_as_regex(rule)
    for name, value in _rule_fields(data).items():
        setattr(rule, name, value)
    # Only a rule that starts counting is checked: one of an organization already over a
    # lowered limit can still be edited.
    if _counts_as_regex(rule) and not counted:
        _regex_room_check(rule=rule)
    rule.save()
    rules_version_bump()
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule) -> None:
    """Delete a rule; running workers stop using it on their next chunk."""
    rule.delete()
    rules_version_bump()
