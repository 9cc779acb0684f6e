"""What webhooks do when the lifecycle owner announces a change (connected in
``WebhooksConfig.ready()``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from lucro.ingestion.selectors import batch_document
from lucro.webhooks.models import EventType
from lucro.webhooks.services import event_publish

_BATCH_EVENTS = {"completed": EventType.BATCH_COMPLETED, "failed": EventType.BATCH_FAILED}


def batch_finished_publish(*, batch_id: uuid.UUID, status: str, **_: Any) -> None:
    """Publish ``batch.completed`` or ``batch.failed`` with the batch's status document.

    Sent after the batch's status committed; the message is written in a transaction of its
    own. The document is the one ``GET /api/v1/batches/<id>/`` answers (counts included).
    """
    event_type = _BATCH_EVENTS.get(status)
    if event_type is None:
        return  # not a terminal status (the owner sends only completed and failed)
    found = batch_document(batch_id=batch_id)
    if found is None:
        return  # deleted since (its organization's, most likely)
    organization_id, document = found
    # The status the event announces, even if a retry has moved the batch on since.
    document["status"] = status
    with transaction.atomic():
        event_publish(organization_id=organization_id, event_type=event_type, data=document)
