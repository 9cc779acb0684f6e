"""The admin: endpoints without their secret, deliveries with a redeliver action."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lucro.tenancy.services import organization_get_or_create
from lucro.webhooks import services
from lucro.webhooks.models import WebhookDelivery
from lucro.webhooks.tests.conftest import Outbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]


def test_admin_hides_secrets_and_redelivers(
    outbox: Outbox, django_capture_on_commit_callbacks: Any
) -> None:
    organization = organization_get_or_create(name="Org A")
    created = services.endpoint_create(
        organization=organization, url="http://127.0.0.1:9/x", events=["batch.completed"]
    )
    services.event_publish(organization_id=organization.pk, event_type="batch.completed", data={})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", claim_token=None)
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x" * 16))
    page = client.get(f"/admin/webhooks/webhookendpoint/{created.endpoint.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert created.secret not in text and created.endpoint.secret_encrypted not in text
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
        )
    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert [q.delivery_id for q in outbox.queued] == [str(delivery.pk)]
