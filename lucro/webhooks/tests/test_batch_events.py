"""A batch that finishes is announced to subscribed endpoints (batch.completed / failed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lucro.enrichment.tasks import tasks_inline
from lucro.ingestion.models import Batch
from lucro.ingestion.services import batch_ingest
from lucro.tenancy.services import organization_get_or_create
from lucro.testing import make_batch
from lucro.webhooks import services
from lucro.webhooks.models import WebhookDelivery
from lucro.webhooks.receivers import batch_finished_publish
from lucro.webhooks.tests.conftest import Receiver

pytestmark = [pytest.mark.usefixtures("loopback")]


@pytest.mark.django_db(transaction=True)
def test_a_finished_batch_sends_batch_completed_with_its_counts(
    receiver: Receiver, settings: Any
) -> None:
    # The rules alone: the learned model would load scikit-learn for nothing here.
    settings.ENRICHERS = ["lucro.enrichment.enrichers.RuleEnricher"]
    organization = organization_get_or_create(name="Org A")
    created = services.endpoint_create(
        organization=organization, url=receiver.url, events=["batch.completed", "batch.failed"]
    )
    receiver.secrets = [created.secret]
    other = organization_get_or_create(name="Org B")
    services.endpoint_create(organization=other, url=receiver.url, events=["batch.completed"])

    # The whole pipeline in this process: enrichment's tasks and the webhook task run as
    # they are queued (each after the commit that queues it).
    with tasks_inline():
        result = batch_ingest(
            organization=organization,
            body=json.dumps(make_batch(3)).encode(),
            api_key=None,
            idempotency_key=None,
        )
    batch = Batch.objects.get(pk=result.batch_id)
    assert batch.status == "completed"
    [received] = receiver.wait_for(1, timeout=10)
    receiver.assert_all_verified()
    body = received.json
    assert body["type"] == "batch.completed"
    data = body["data"]
    assert data["batch_id"] == str(batch.pk)
    assert data["status"] == "completed"
    assert data["total_transactions"] == 3
    assert data["created"] == 3
    assert data["counts"] == {"pending": 0, "processing": 0, "completed": 3, "failed": 0}
    assert data["links"]["self"] == f"/api/v1/batches/{batch.pk}/"
    assert WebhookDelivery.objects.get().status == "succeeded"  # org B's endpoint: nothing

    # The same batch again: nothing new, finished on arrival, announced all the same.
    with tasks_inline():
        batch_ingest(
            organization=organization,
            body=json.dumps(make_batch(3, request_id="again")).encode(),
            api_key=None,
            idempotency_key=None,
        )
    second = receiver.wait_for(2, timeout=10)[1]
    assert second.json["type"] == "batch.completed"
    assert second.json["data"]["unchanged"] == 3


@pytest.mark.django_db
def test_a_failed_batch_sends_batch_failed_and_other_statuses_nothing(
    outbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    organization = organization_get_or_create(name="Org A")
    services.endpoint_create(
        organization=organization, url="http://127.0.0.1:9/", events=["batch.failed"]
    )
    result = batch_ingest(
        organization=organization,
        body=json.dumps(make_batch(2)).encode(),
        api_key=None,
        idempotency_key=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch_finished_publish(batch_id=result.batch_id, status="processing")
        batch_finished_publish(batch_id=result.batch_id, status="completed")  # not subscribed
        assert not WebhookDelivery.objects.exists()
        batch_finished_publish(batch_id=result.batch_id, status="failed")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "batch.failed"
    assert delivery.message.data["status"] == "failed"
    assert len(outbox.queued) == 1
