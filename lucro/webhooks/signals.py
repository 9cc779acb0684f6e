"""Webhooks' requests for queued work: services ask, ``tasks.py`` sends.

As in enrichment (``lucro.enrichment.signals``), only ``tasks.py`` touches Celery: a
service that needs an attempt queued calls ``attempt_request``; the request is sent once
the transaction commits, and the receiver in ``tasks.py`` (connected in
``WebhooksConfig.ready()``) turns it into a message on the webhooks queue.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.dispatch import Signal

# Args: delivery_id (str), token (str: the claim the task must hold), countdown (float:
# seconds to wait before the attempt; 0 = now).
attempt_requested = Signal()


def attempt_request(*, delivery_id: uuid.UUID, token: uuid.UUID, countdown: float = 0) -> None:
    """Ask for the attempt claimed by ``token`` to be queued once the transaction commits.

    Robust: a broker that is down loses nothing, the claim's lease runs out and the
    periodic ``deliveries_due`` task claims the delivery again.
    """
    transaction.on_commit(
        lambda: attempt_requested.send(
            sender=Signal, delivery_id=str(delivery_id), token=str(token), countdown=countdown
        ),
        robust=True,
    )
