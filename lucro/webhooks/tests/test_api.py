"""The endpoints API: the secret shown once, validation, roles, tenancy, the audit log."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from lucro.audit.models import AuditEvent
from lucro.tenancy.models import Role
from lucro.testing import ApiClient, make_client, make_member
from lucro.webhooks.models import WebhookDelivery, WebhookEndpoint
from lucro.webhooks.services import event_publish
from lucro.webhooks.tests.conftest import Outbox, Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]

HOOK = {"url": "https://hooks.example.test/lucro", "events": ["batch.completed"]}
PUBLIC = "https://93.184.215.14/hooks"  # an address literal: no DNS needed in production mode


def _create(client: ApiClient, **body: Any) -> Any:
    return client.post("/api/v1/webhooks/", {**HOOK, **body})


def test_create_answers_the_secret_once_and_never_again(api: ApiClient) -> None:
    created = _create(api, description="ERP", url="http://127.0.0.1:9/x")
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created["Location"] == f"/api/v1/webhooks/{body['id']}/"
    assert body["events"] == ["batch.completed"]
    assert body["enabled"] is True and body["disabled_reason"] is None
    assert body["description"] == "ERP"

    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert secret not in endpoint.secret_encrypted  # stored encrypted, not as sent
    for answer in (
        api.get("/api/v1/webhooks/"),
        api.get(f"/api/v1/webhooks/{body['id']}/"),
        api.patch(f"/api/v1/webhooks/{body['id']}/", {"description": "ERP 2"}),
        api.get(f"/api/v1/webhooks/{body['id']}/deliveries/"),
    ):
        assert answer.status_code == 200
        assert secret not in answer.content.decode()
        assert "secret" not in json.dumps(answer.json()).replace("secret_", "")


def test_rotation_answers_a_new_secret(api: ApiClient) -> None:
    first = _create(api).json()
    rotated = api.post(f"/api/v1/webhooks/{first['id']}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != first["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None


def test_list_is_cursor_paginated(api: ApiClient, other_api: ApiClient) -> None:
    ids = [_create(api, description=str(i)).json()["id"] for i in range(3)]
    _create(other_api)
    first = api.get("/api/v1/webhooks/", limit=2).json()
    assert [e["id"] for e in first["results"]] == ids[:2]
    second = api.client.get(first["next"], headers={"Authorization": f"Token {api.key}"}).json()
    assert [e["id"] for e in second["results"]] == ids[2:]
    assert second["next"] is None
    assert api.get("/api/v1/webhooks/", limit=0).json()["errors"][0]["pointer"] == "/limit"


def test_patch_changes_fields_and_delete_removes(api: ApiClient) -> None:
    endpoint = _create(api).json()
    path = f"/api/v1/webhooks/{endpoint['id']}/"
    changed = api.patch(
        path,
        {"events": ["batch.failed", "budget.threshold_crossed", "batch.failed"], "url": PUBLIC},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["batch.failed", "budget.threshold_crossed"]
    assert changed.json()["url"] == PUBLIC
    disabled = api.patch(path, {"enabled": False}).json()
    assert disabled["enabled"] is False and disabled["disabled_reason"]
    revived = api.patch(path, {"enabled": True}).json()
    assert revived["enabled"] is True and revived["disabled_reason"] is None
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"url": "not a url"}, ["/url"]),
        ({"url": "ftp://example.com/x"}, ["/url"]),
        ({"url": "https://user:pw@example.com/x"}, ["/url"]),
        ({"url": ""}, ["/url"]),
        ({"url": 7}, ["/url"]),
        ({"url": "https://" + "a" * 2100 + ".com/"}, ["/url"]),
        ({"events": ["batch.exploded"]}, ["/events/0"]),
        ({"events": ["batch.completed", "webhook.test"]}, ["/events/1"]),
        ({"events": []}, ["/events"]),
        ({"events": "batch.completed"}, ["/events"]),
        ({"description": "x" * 300}, ["/description"]),
        ({"url": None, "events": None}, ["/url", "/events"]),
    ],
)
def test_invalid_bodies_are_problems_with_pointers(
    api: ApiClient, body: dict[str, Any], pointers: list[str]
) -> None:
    answer = _create(api, **body)
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert sorted(e["pointer"] for e in answer.json()["errors"]) == sorted(pointers)
    assert not WebhookEndpoint.objects.exists()


def test_missing_fields_and_bad_patches_are_problems(api: ApiClient) -> None:
    answer = api.post("/api/v1/webhooks/", {})
    assert {e["pointer"] for e in answer.json()["errors"]} == {"/url", "/events"}
    endpoint = _create(api).json()
    path = f"/api/v1/webhooks/{endpoint['id']}/"
    for body, pointer in (
        ({"events": []}, "/events"),
        ({"url": "gopher://x"}, "/url"),
        ({"enabled": "yes"}, "/enabled"),
    ):
        answer = api.patch(path, body)
        assert answer.status_code == 400
        assert [e["pointer"] for e in answer.json()["errors"]] == [pointer]
    assert (
        api.post("/api/v1/webhooks/", raw="{", content_type="application/json").status_code == 400
    )
    assert api.post("/api/v1/webhooks/", raw="x", content_type="text/plain").status_code == 415


@pytest.mark.parametrize("who", ["analyst", "scope:read", "scope:ingest"])
def test_analysts_and_keys_without_write_are_refused(api: ApiClient, who: str) -> None:
    endpoint = _create(api).json()
    if who.startswith("scope:"):
        client = make_client("Org A", scopes=[who.removeprefix("scope:")])
    else:
        client = make_member("Org A", who)[0]
    paths = [
        ("GET", "/api/v1/webhooks/"),
        ("POST", "/api/v1/webhooks/"),
        ("GET", f"/api/v1/webhooks/{endpoint['id']}/"),
        ("PATCH", f"/api/v1/webhooks/{endpoint['id']}/"),
        ("DELETE", f"/api/v1/webhooks/{endpoint['id']}/"),
        ("POST", f"/api/v1/webhooks/{endpoint['id']}/rotate-secret/"),
        ("POST", f"/api/v1/webhooks/{endpoint['id']}/test/"),
        ("GET", f"/api/v1/webhooks/{endpoint['id']}/deliveries/"),
    ]
    for method, path in paths:
        if method == "GET":
            answer = client.get(path)
        elif method == "DELETE":
            answer = client.delete(path)
        elif method == "PATCH":
            answer = client.patch(path, {"enabled": False})
        else:
            answer = client.post(path, HOOK)
        assert answer.status_code == 403, (who, method, path)
        assert answer["Content-Type"] == "application/problem+json"
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).enabled  # nothing happened


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_admins_and_write_keys_manage_webhooks(role: str) -> None:
    person = make_member("Org A", role)[0]
    assert _create(person).status_code == 201
    assert _create(make_client("Org A", scopes=["write"])).status_code == 201


def test_another_organizations_endpoint_and_delivery_are_missing(
    api: ApiClient, other_api: ApiClient, outbox: Outbox, receiver: Receiver, settings: Any
) -> None:
    endpoint = _create(api, url=receiver.url).json()
    event_publish(organization_id=api.organization.pk, event_type="batch.completed", data={"n": 1})
    delivery = WebhookDelivery.objects.get()
    base = f"/api/v1/webhooks/{endpoint['id']}"
    nowhere = f"/api/v1/webhooks/{uuid.uuid4()}"
    for path in (base, nowhere, "/api/v1/webhooks/not-a-uuid"):
        assert other_api.get(f"{path}/").status_code == 404
        assert other_api.patch(f"{path}/", {"enabled": False}).status_code == 404
        assert other_api.post(f"{path}/rotate-secret/").status_code == 404
        assert other_api.post(f"{path}/test/").status_code == 404
        assert other_api.get(f"{path}/deliveries/").status_code == 404
        assert other_api.post(f"{path}/deliveries/{delivery.pk}/redeliver/").status_code == 404
        assert other_api.delete(f"{path}/").status_code == 404
    missing = api.post(f"{base}/deliveries/{uuid.uuid4()}/redeliver/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert other_api.get("/api/v1/webhooks/").json()["results"] == []
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).enabled
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_changes_are_audited_without_the_secret(api: ApiClient) -> None:
    created = _create(api).json()
    path = f"/api/v1/webhooks/{created['id']}/"
    api.patch(path, {"description": "new"})
    rotated = api.post(f"{path}rotate-secret/").json()
    api.delete(path)
    events = AuditEvent.objects.filter(object_type="webhook").order_by("created_at")
    assert [e.action for e in events] == [
        "webhook.created",
        "webhook.updated",
        "webhook.rotated",
        "webhook.deleted",
    ]
    assert events[1].changes == {"description": {"from": "", "to": "new"}}
    assert events[0].changes["url"] == HOOK["url"]
    text = json.dumps([e.changes for e in events])
    assert created["secret"] not in text and rotated["secret"] not in text
    assert "whsec_" not in text
    assert api.get("/api/v1/audit/") is not None


def test_deliveries_list_shows_attempts(
    api: ApiClient, outbox: Outbox, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _create(api, url=receiver.url).json()
    receiver.script(500)
    with django_capture_on_commit_callbacks(execute=True):
        tested = api.post(f"/api/v1/webhooks/{endpoint['id']}/test/")
    assert tested.status_code == 202
    assert tested.json()["event_type"] == "webhook.test"
    assert tested.json()["webhook_id"].startswith("msg_")
    [queued] = outbox.take()
    from lucro.webhooks import tasks

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.deliver(queued.delivery_id, queued.token) == "retry"
    page = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()
    [delivery] = page["results"]
    assert delivery["status"] == "pending"
    assert delivery["attempt_count"] == 1
    [attempt] = delivery["attempts"]
    assert attempt["attempt"] == 1
    assert attempt["status_code"] == 500
    assert attempt["duration_ms"] >= 0
    assert attempt["error"] == "HTTP 500"
    assert attempt["next_retry_at"] == delivery["next_attempt_at"] is not None
    assert page["next"] is None
