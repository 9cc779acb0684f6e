"""Enrichment: queue work, fan a batch out, process a chunk, sweep, and edit rules.

Rows change state only through the owner's transitions (``lucro.ingestion.transitions``):
this module decides *what* to claim and which category wins, the owner writes it.
"""

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

from lucro.audit.services import audit_record
from lucro.core.errors import ValidationFailed
from lucro.core.metrics import histogram_observe_many
from lucro.enrichment import signals
from lucro.enrichment.chain import Answer, chain_run, enrichers_configured
from lucro.enrichment.metrics import (
    CHUNK_DURATION,
    ENRICHMENT_FAILURES,
    ENRICHMENT_LATENCY,
    ENRICHMENT_OUTCOMES,
)
from lucro.enrichment.models import BatchDispatch, Rule
from lucro.enrichment.patterns import pattern_quoted
from lucro.enrichment.rules_version import rules_version_bump
from lucro.ingestion import transitions
from lucro.ingestion.models import Batch, IngestionStatus, Transaction
from lucro.ingestion.store import Claim
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization
from lucro.tenancy.principal import Principal

logger = structlog.get_logger(__name__)


# --- Queueing -----------------------------------------------------------------------------
#
# Services never touch Celery: they record the dispatch and ask for the work through
# ``signals.work_requested`` on commit; ``tasks.py`` sends the messages.


def _dispatch_record(batch_ids: Iterable[uuid.UUID | str], now: dt.datetime) -> None:
    BatchDispatch.objects.bulk_create(
        [BatchDispatch(batch_id=uuid.UUID(str(pk)), enqueued_at=now) for pk in batch_ids],
        update_conflicts=True,
        unique_fields=["batch"],
        update_fields=["enqueued_at"],
    )


def batch_enqueue(*, batch_id: uuid.UUID | str, record: bool = True) -> None:
    """Queue enrichment of a batch once the current transaction commits.

    ``record``: note the dispatch, which the sweeper reads to find lost messages (a new
    batch's ``received_at`` serves instead).
    """
    if record:
        _dispatch_record([batch_id], timezone.now())
    signals.work_request(task=signals.ENRICH_BATCH, batch_id=batch_id)


def chunks_enqueue(*, batch_id: uuid.UUID | str, rows: int) -> None:
    """Queue exactly the chunk tasks that ``rows`` newly pending rows of the batch need.

    (A re-run's chunk: a fan-out after every chunk would queue tasks for every row still
    pending, again and again.)
    """
    _dispatch_record([batch_id], timezone.now())
    tasks = math.ceil(rows / (settings.ENRICH_CHUNK_SIZE * chunks_per_task()))
    signals.work_request(task=signals.ENRICH_CHUNK, batch_id=batch_id, count=tasks)


def rerun_enqueue(*, batch_id: uuid.UUID | str) -> None:
    """Queue the next selection chunk of a re-run once the current transaction commits.

    The dispatch record is also the progress the sweeper watches (``rerun_requeue_lost``).
    """
    _dispatch_record([batch_id], timezone.now())
    signals.work_request(task=signals.RERUN_SELECT, batch_id=batch_id)


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
    pending = Transaction.objects.filter(
        batch_id=batch_id, ingestion_status=IngestionStatus.PENDING
    ).count()
    _dispatch_record([batch_id], timezone.now())
    if not pending:
        transitions.batch_finish_check(batch_id=uuid.UUID(str(batch_id)))
        return 0
    tasks = math.ceil(pending / (settings.ENRICH_CHUNK_SIZE * chunks_per_task()))
    # The rows counted are committed: nothing to wait for.
    signals.work_request(task=signals.ENRICH_CHUNK, batch_id=batch_id, count=tasks, on_commit=False)
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
            claim = transitions.transactions_claim(
                batch_id=batch_pk, limit=settings.ENRICH_CHUNK_SIZE, now=now
            )
        else:
            claim = transitions.transactions_reclaim(batch_id=batch_pk, token=retry_token, now=now)
        received_at = transitions.batch_start(batch_id=batch_pk, now=now) if claim.rows else None
    if not claim.rows:
        transitions.batch_finish_check(batch_id=batch_pk)
        return ChunkResult(0, 0, 0)

    try:
        answers = chain_run(claim.rows)
    except Exception as exc:
        return _chunk_failed(claim, exc, started)

    with transaction.atomic():
        written = transitions.transactions_complete(
            claim=claim, answers=answers, now=timezone.now()
        )
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
        claim = transitions.transactions_lock(
            batch_id=batch_pk, limit=settings.ENRICH_CHUNK_SIZE, now=now
        )
        if not claim.rows:
            answers: list[Answer] = []
        else:
            received_at = transitions.batch_start(batch_id=batch_pk, now=now)
            try:
                with transaction.atomic():  # a savepoint: the chain may query the database
                    answers = chain_run(claim.rows)
            except Exception as exc:
                failure = exc
                claim = transitions.claim_mark_processing(claim=claim)
            else:
                written = transitions.transactions_complete(
                    claim=claim, answers=answers, now=timezone.now()
                )
    if not claim.rows:
        transitions.batch_finish_check(batch_id=batch_pk)
        return ChunkResult(0, 0, 0)
    if failure is not None:
        return _chunk_failed(claim, failure, started)
    return _chunk_done(claim, answers, written, received_at, started)


def _chunk_done(
    claim: Claim,
    answers: list[Answer],
    written: int,
    received_at: dt.datetime | None,
    started: float,
) -> ChunkResult:
    _observe(answers, received_at, started)
    transitions.batch_finish_check(batch_id=claim.batch_id)
    logger.info("chunk_enriched", batch_id=str(claim.batch_id), claimed=len(claim), written=written)
    return ChunkResult(len(claim), written, 0)


def _chunk_failed(claim: Claim, exc: Exception, started: float) -> ChunkResult:
    reason = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        failed = transitions.transactions_fail_exhausted(
            claim=claim, reason=reason, max_attempts=settings.ENRICH_MAX_ATTEMPTS
        )
        held = transitions.claim_held_count(claim=claim)
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
        transitions.batch_finish_check(batch_id=claim.batch_id)
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


# --- Recovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    returned: int
    failed: int
    requeued_batches: int
    requeued_reruns: int = 0


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Return stuck rows to the queue and re-queue batches whose message was lost.

    A row ``processing`` for longer than ``ENRICH_VISIBILITY_TIMEOUT`` belonged to a worker
    that died (or lost its database connection): the owner returns it to ``pending``, or
    to ``failed`` once it has used every attempt. A batch with pending rows and no enqueue
    within the same timeout is queued again; a duplicate message is harmless because a
    chunk task only ever claims what is still pending. So is a re-run whose selection made
    no progress within it.
    """
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT)
    max_attempts = settings.ENRICH_MAX_ATTEMPTS
    returned = transitions.transactions_return_stale(
        stale=stale,
        max_attempts=max_attempts,
        reason=f"No result within {settings.ENRICH_VISIBILITY_TIMEOUT} s "
        f"after {max_attempts} attempts (worker lost?)",
    )
    ENRICHMENT_FAILURES.inc(returned.failed)

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
    # A new batch is queued without a dispatch row: its received_at is when it was queued.
    young = set(
        Batch.objects.filter(pk__in=waiting, received_at__gte=stale).values_list("pk", flat=True)
    )
    lost = (waiting - recent - young) | (returned.batch_ids & waiting)
    # Before the batches below are queued again: that records a fresh dispatch, which
    # would hide a job's lost selection for another timeout.
    reruns = rerun_requeue_lost(stale=stale)
    for batch_id in lost:
        batch_enqueue(batch_id=batch_id)
    unfinished = Batch.objects.filter(status__in=[Batch.Status.PENDING, Batch.Status.PROCESSING])
    for batch_id in unfinished.exclude(pk__in=waiting).values_list("pk", flat=True)[:1000]:
        transitions.batch_finish_check(batch_id=batch_id)
    if returned.returned or returned.failed or lost or reruns:
        logger.info(
            "sweep",
            returned=returned.returned,
            failed=returned.failed,
            requeued_batches=len(lost),
            requeued_reruns=reruns,
        )
    return SweepResult(returned.returned, returned.failed, len(lost), reruns)


def rerun_requeue_lost(*, stale: dt.datetime) -> int:
    """Queue again the selection of re-runs that made no progress since ``stale``.

    Every chunk records its progress in ``BatchDispatch`` (as enqueueing a batch does), so a
    job whose selection message was lost — a broker restart, a worker killed before it
    queued the next chunk — is picked up again; a duplicate is harmless (see above).
    """
    selecting = list(
        Batch.objects.filter(
            kind=Batch.Kind.RERUN,
            total_transactions__isnull=True,
            status__in=[Batch.Status.PENDING, Batch.Status.PROCESSING],
        ).values_list("pk", flat=True)[:1000]
    )
    recent = set(
        BatchDispatch.objects.filter(batch_id__in=selecting, enqueued_at__gte=stale).values_list(
            "batch_id", flat=True
        )
    )
    lost = [batch_id for batch_id in selecting if batch_id not in recent]
    for batch_id in lost:
        rerun_enqueue(batch_id=batch_id)
    return len(lost)


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
    actor: Principal | None = None,
) -> Rule:
    """Create a rule; running workers pick it up on their next chunk.

    ``actor``: who asks (recorded in the audit log; None for a command line or a test).
    """
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
    _rule_audit(rule, actor, "rule.created", _rule_snapshot(rule))
    return rule


@transaction.atomic
def rule_update(*, rule: Rule, data: dict[str, Any], actor: Principal | None = None) -> Rule:
    """Change some of a rule's fields; running workers pick it up on their next chunk."""
    counted = _counts_as_regex(rule)
    before = _rule_snapshot(rule)
    for name, value in _rule_fields(data).items():
        setattr(rule, name, value)
    # Only a rule that starts counting is checked: one of an organization already over a
    # lowered limit can still be edited.
    if _counts_as_regex(rule) and not counted:
        _regex_room_check(rule=rule)
    rule.save()
    rules_version_bump()
    after = _rule_snapshot(rule)
    changed = {
        name: {"from": before[name], "to": after[name]}
        for name in after
        if before[name] != after[name]
    }
    if changed:  # a PUT that sends the rule as it was changes nothing worth recording
        _rule_audit(rule, actor, "rule.updated", changed)
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, actor: Principal | None = None) -> None:
    """Delete a rule; running workers stop using it on their next chunk."""
    snapshot, rule_id = _rule_snapshot(rule), rule.pk
    rule.delete()
    rules_version_bump()
    rule.pk = rule_id  # delete() clears it; the audit event names the rule that was
    _rule_audit(rule, actor, "rule.deleted", snapshot)


_RULE_AUDITED_FIELDS = ("pattern", "field", "match_type", "direction", "priority", "is_active")


def _rule_snapshot(rule: Rule) -> dict[str, Any]:
    """Return the rule's editable fields as the audit log shows them (the category by slug)."""
    snapshot = {name: getattr(rule, name) for name in _RULE_AUDITED_FIELDS}
    snapshot["category"] = rule.category.slug
    return snapshot


def _rule_audit(rule: Rule, actor: Principal | None, action: str, changes: dict[str, Any]) -> None:
    audit_record(
        organization=rule.organization,
        actor=actor,
        action=action,
        object_type="rule",
        object_id=rule.pk,
        changes=changes,
    )


# --- Retries and re-runs, as people ask for them ------------------------------------------


@transaction.atomic
def batch_retry(*, batch: Batch, actor: Principal | None = None) -> int:
    """Queue the batch's failed rows again (``batch_retry_failed``); return how many.

    Recorded even when nothing was failed: the audit log shows what people asked for.
    """
    count = transitions.batch_retry_failed(batch=batch)
    audit_record(
        organization=batch.organization,
        actor=actor,
        action="batch.retried",
        object_type="batch",
        object_id=batch.pk,
        changes={"requeued": count},
    )
    return count


@transaction.atomic
def categorisation_rerun(
    *, organization: Organization, actor: Principal | None = None, **scope: Any
) -> Batch:
    """Open a re-categorisation job over ``scope`` (``rerun_open``); return the job."""
    job = transitions.rerun_open(organization=organization, **scope)
    audit_record(
        organization=organization,
        actor=actor,
        action="categorisation.rerun",
        object_type="batch",
        object_id=job.pk,
        changes={"scope": job.scope},
    )
    return job
