"""Enrichment tasks: thin entry points that take ids and call services. The only module of
the app that touches Celery: it also sends the messages services ask for
(``signals.work_requested``, connected in ``EnrichmentConfig.ready()``).

Every task is idempotent — a chunk task claims only rows still pending — so it is safe with
``acks_late`` and ``task_reject_on_worker_lost`` (settings): a message redelivered after a
worker died does no harm, and rows that worker held come back through the sweeper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from celery import Task, shared_task
from celery.signals import celeryd_after_setup, worker_process_init
from django.conf import settings
from django.db import OperationalError

from lucro.core.errors import transient_db_error
from lucro.enrichment import services, signals
from lucro.enrichment.chain import enrichers_configured
from lucro.ingestion import transitions

logger = structlog.get_logger(__name__)

# How many times a chunk task runs again after a transient database error (backoff 0.5 s,
# doubling, at most 30 s).
CHUNK_DB_RETRIES = 5


@shared_task(name="lucro.enrichment.enrich_batch")
def enrich_batch(batch_id: str) -> int:
    """Fan a batch out into chunk tasks, so that several workers share it."""
    return services.batch_fan_out(batch_id=batch_id)


@shared_task(name="lucro.enrichment.enrich_chunk", bind=True, max_retries=CHUNK_DB_RETRIES)
def enrich_chunk(self: Task, batch_id: str, retry_token: str | None = None) -> int:
    """Claim and enrich this task's share of a batch; schedule a retry with backoff on failure.

    A transient database error (a deadlock, a lock timeout; SQLite's "database is locked")
    rolled back only the chunk that met it: the task runs again after a backoff (each
    chunk commits on its own and claims only rows still pending, so a rerun repeats
    nothing). Seen in CI: the embedded default's one chunk failed so, and its batch waited
    for the sweeper. Should every retry fail, the sweeper still queues the batch later.
    """
    token = dt.datetime.fromisoformat(retry_token) if retry_token else None
    try:
        result = services.share_process(batch_id=batch_id, retry_token=token)
    except OperationalError as exc:
        reason = transient_db_error(exc)
        if reason is None or self.request.retries >= CHUNK_DB_RETRIES:
            raise
        countdown = min(30.0, 0.5 * 2**self.request.retries)
        logger.warning(
            "chunk_retry_transient_db_error", batch_id=batch_id, reason=reason, countdown=countdown
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    if result.retry_token is not None:
        enrich_chunk.apply_async(
            (batch_id, result.retry_token.isoformat()), countdown=result.retry_countdown
        )
    if result.unfinished:
        enrich_chunk.delay(batch_id)  # the rest of the share, without waiting for the retry
    return result.written


# A deadlock victim, a serialization failure, a dropped connection: transient, so retried
# with backoff. Should every retry fail, the sweeper queues the job again later.
@shared_task(
    name="lucro.enrichment.rerun_select",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def rerun_select(batch_id: str) -> int:
    """Move the next chunk of a re-run's scope into its job (the next chunk queues itself)."""
    return transitions.rerun_select_chunk(batch_id=batch_id, budget=settings.RERUN_CHUNK_SIZE).moved


@shared_task(name="lucro.enrichment.sweep")
def sweep() -> int:
    """Return stuck rows to the queue and re-queue batches whose message was lost."""
    result = services.sweep()
    return result.returned + result.requeued_batches


# Whether this worker's processes enrich (it consumes the work queue): a housekeeping-only
# worker never runs the chain, and warming it up delayed its first sweep by the ≈ 6 s of
# importing scikit-learn, past the sweep's own deadline on a slow machine.
_WARM_UP = {"enabled": True}


@celeryd_after_setup.connect(dispatch_uid="enrichment.note_queues")
def worker_queues_note(sender: Any, instance: Any, **_: Any) -> None:
    """Note whether this worker consumes the work queue (``-Q`` is applied by now)."""
    queues = set(instance.app.amqp.queues.consume_from or ())
    _WARM_UP["enabled"] = not queues or settings.CELERY_TASK_DEFAULT_QUEUE in queues


@worker_process_init.connect(dispatch_uid="enrichment.enrichers_warm")
def enrichers_warm(**_: Any) -> None:
    """Load what the chain's enrichers need as a worker process starts (``warm()``).

    Otherwise the first chunk would load it (importing scikit-learn and reading the model
    took 5 s on a slow day) while holding its rows' locks in the claiming transaction.
    """
    if not _WARM_UP["enabled"]:
        return
    for enricher in enrichers_configured():
        warm = getattr(enricher, "warm", None)
        if warm is not None:
            try:
                warm()
            except Exception:
                logger.exception("enricher_warm_failed", enricher=type(enricher).__name__)


@contextmanager
def tasks_inline() -> Iterator[None]:
    """Run every task in this process as it is queued (no worker or broker needed).

    For the commands that drive the whole pipeline in one process (the simulator's
    in-process mode, ``make eval``'s learning curve); a task's failure is handled as a
    worker would (retries, ``failed`` rows), not raised into the caller.
    """
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved


# --- Sending what services ask for ---------------------------------------------------------
# A broker outage at send time loses nothing: the dispatch is recorded, the rows are
# pending, and the sweeper queues again whatever made no progress.


def _send_batch(batch_id: str) -> None:
    try:
        enrich_batch.delay(batch_id)
    except Exception:
        logger.exception("enqueue_failed", batch_id=batch_id)


def _send_chunks(batch_id: str, tasks: int) -> None:
    try:
        for _ in range(tasks):
            enrich_chunk.delay(batch_id)
    except Exception:
        logger.exception("enqueue_failed", batch_id=batch_id)


def _send_rerun(batch_id: str) -> None:
    try:
        rerun_select.delay(batch_id)
    except Exception:
        logger.exception("enqueue_failed", batch_id=batch_id)


def work_requested_send(*, task: str, batch_id: str, count: int, **_: Any) -> None:
    """Send the messages a service asked for (the ``work_requested`` receiver)."""
    if task == signals.ENRICH_BATCH:
        for _n in range(count):
            _send_batch(batch_id)
    elif task == signals.ENRICH_CHUNK:
        _send_chunks(batch_id, count)
    elif task == signals.RERUN_SELECT:
        for _n in range(count):
            _send_rerun(batch_id)
    else:
        raise ValueError(f"unknown task {task!r}")
