"""Webhook tasks: thin entry points that take ids and call services. The only module of
the app that touches Celery: it also sends the attempts services ask for
(``signals.attempt_requested``, connected in ``WebhooksConfig.ready()``).

Both tasks are routed to the webhooks queue (``CELERY_WEBHOOKS_QUEUE``, settings), which
has consumers of its own: a receiver that takes its whole timeout to answer delays no
enrichment and no sweep. ``deliver`` is safe to run twice (the claim token lets one copy
act), so ``acks_late`` and ``task_reject_on_worker_lost`` (settings) do no harm.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from celery import shared_task

from lucro.webhooks import services

logger = structlog.get_logger(__name__)


@shared_task(name="lucro.webhooks.deliver")
def deliver(delivery_id: str, token: str) -> str:
    """Make the attempt of a delivery that ``token`` claims."""
    return services.delivery_attempt(delivery_id=uuid.UUID(delivery_id), token=uuid.UUID(token))


@shared_task(name="lucro.webhooks.deliveries_due")
def deliveries_due() -> int:
    """Queue the deliveries whose next attempt is due (scheduled by beat)."""
    return services.deliveries_due_claim()


def _send(delivery_id: str, token: str, countdown: float) -> None:
    if countdown > 0:
        deliver.apply_async((delivery_id, token), countdown=countdown)
    else:
        deliver.apply_async((delivery_id, token))


def attempt_requested_send(*, delivery_id: str, token: str, countdown: float = 0, **_: Any) -> None:
    """Queue the attempt a service asked for (the ``attempt_requested`` receiver).

    A broker outage loses nothing: the claim's lease runs out and beat queues it again.
    """
    try:
        _send(delivery_id, token, countdown)
    except Exception:
        logger.exception("webhook_enqueue_failed", delivery_id=delivery_id)
