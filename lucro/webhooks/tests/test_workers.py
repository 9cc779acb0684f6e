"""A real `celery worker` consuming the webhooks queue delivers, and retries, an event.

On whatever broker the suite runs with (Redis in CI's PostgreSQL run, the embedded
filesystem transport otherwise), against the test database; the worker consumes a test
queue of its own (``<queue>.webhooks``, derived as in a deployment) and is always stopped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from lucro.enrichment.tests.test_workers import Workers
from lucro.tenancy.services import organization_get_or_create
from lucro.webhooks import services, tasks
from lucro.webhooks.models import WebhookAttempt, WebhookDelivery
from lucro.webhooks.tests.conftest import Receiver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
    pytest.mark.usefixtures("loopback"),
]


@pytest.fixture
def webhooks_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """One worker on ``<test queue>.webhooks``; what this process queues goes there too."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    webhooks_queue = f"{queue}.webhooks"
    monkeypatch.setattr(
        tasks,
        "_send",
        lambda delivery_id, token, countdown: tasks.deliver.apply_async(
            (delivery_id, token), countdown=countdown or None, queue=webhooks_queue
        ),
    )
    pool = Workers(queue, tmp_path)
    try:
        pool.start(
            1, queue=webhooks_queue, WEBHOOK_ALLOW_PRIVATE_NETWORKS="True",
            WEBHOOK_RETRY_SCHEDULE="1,1",
        )  # fmt: skip
        yield tmp_path / "worker0.log"
    finally:
        pool.stop_all()


def test_a_worker_delivers_and_retries_with_the_same_webhook_id(
    receiver: Receiver, webhooks_worker: Path, settings: Any
) -> None:
    organization = organization_get_or_create(name="Org A")
    created = services.endpoint_create(
        organization=organization, url=receiver.url, events=["batch.completed"]
    )
    receiver.secrets = [created.secret]
    receiver.script(500)  # then 200
    with transaction.atomic():
        services.event_publish(
            organization_id=organization.pk, event_type="batch.completed", data={"n": 1}
        )
    try:
        first, second = receiver.wait_for(2, timeout=60)
    except AssertionError:
        raise AssertionError(webhooks_worker.read_text(errors="replace")[-4000:]) from None
    receiver.assert_all_verified()
    assert first.webhook_id == second.webhook_id
    assert first.body == second.body
    deadline = time.monotonic() + 20
    delivery = WebhookDelivery.objects.get()
    while delivery.status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.1)
        delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    attempts = list(WebhookAttempt.objects.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 200]
    assert attempts[0].next_retry_at is not None
    # The retry waited the schedule's second (a countdown on the worker's own queue).
    assert (attempts[1].attempted_at - attempts[0].attempted_at).total_seconds() >= 0.9
