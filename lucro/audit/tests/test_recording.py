"""Every audited action leaves one event: actor, action, object, request id, what changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lucro.audit.models import AuditEvent
from lucro.audit.services import REDACTED, audit_record, changes_redact
from lucro.audit.tests.conftest import PASSWORD, JwtClient, event, login
from lucro.ingestion.models import IngestionStatus, Transaction
from lucro.taxonomy.models import Category
from lucro.tenancy.models import ApiKey, Membership, Organization
from lucro.tenancy.services import api_key_create
from lucro.testing import ApiClient, make_batch

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/integrations/transactions/"


def test_a_login_is_recorded_with_its_request_id_and_client(
    org: Organization, owner: JwtClient
) -> None:
    AuditEvent.objects.all().delete()
    assert login("owner@a.example", request_id="req-login-1").status_code == 200
    recorded = event("auth.login")
    assert recorded.organization == org
    assert recorded.actor_user_id == owner.user_id
    assert recorded.actor_api_key_id is None
    assert (recorded.object_type, recorded.object_id) == ("user", owner.member_id)
    assert recorded.request_id == "req-login-1"
    assert recorded.client_ip == "127.0.0.1"
    assert recorded.changes == {}


def test_behind_a_trusted_proxy_the_client_address_is_the_one_the_proxy_saw(
    org: Organization, owner: JwtClient, settings: Any
) -> None:
    """The audit log records the caller the rate limits count, not the proxy, and never an
    address the caller wrote itself left of the proxy's entry."""
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    AuditEvent.objects.all().delete()
    answer = Client().post(
        "/api/v1/auth/token/",
        data=json.dumps({"email": "owner@a.example", "password": PASSWORD}),
        content_type="application/json",
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"},
    )
    assert answer.status_code == 200
    assert event("auth.login").client_ip == "203.0.113.9"


def test_a_failed_login_with_an_unknown_email_is_recorded_without_organization(db: None) -> None:
    assert login("nobody@a.example", request_id="req-fail-1").status_code == 401
    recorded = event("auth.login_failed")
    assert recorded.organization is None
    assert recorded.actor_user_id is None
    assert recorded.object_type == "user"
    assert recorded.object_id == ""
    assert recorded.request_id == "req-fail-1"
    assert recorded.changes == {"email": "nobody@a.example"}


def test_a_wrong_password_is_recorded_in_each_organization_of_the_person(
    org: Organization, owner: JwtClient, person: Callable[..., JwtClient]
) -> None:
    other = Organization.objects.create(name="Org B")
    Membership.objects.create(user_id=owner.user_id, organization=other, role="analyst")
    response = login("owner@a.example", password="not-the-password", request_id="req-fail-2")
    assert response.status_code == 401
    events = AuditEvent.objects.filter(action="auth.login_failed").order_by("organization__name")
    assert [e.organization for e in events] == [org, other]
    for recorded in events:
        assert recorded.actor_user_id == owner.user_id
        # The email says who; no organization-scoped id fits an attempt on the login.
        assert (recorded.object_type, recorded.object_id) == ("user", "")
        assert recorded.request_id == "req-fail-2"
        assert recorded.changes == {"email": "owner@a.example"}
        assert "not-the-password" not in json.dumps(recorded.changes)


def test_a_reused_refresh_token_is_recorded(org: Organization, owner: JwtClient) -> None:
    refresh = login("owner@a.example").json()["refresh"]
    client = Client()

    def rotate(request_id: str) -> int:
        return client.post(
            "/api/v1/auth/token/refresh/",
            data=json.dumps({"refresh": refresh}),
            content_type="application/json",
            headers={"X-Request-ID": request_id},
        ).status_code

    assert rotate("req-rotate") == 200
    assert rotate("req-replay") == 401
    recorded = event("auth.token_reuse")
    assert recorded.organization == org
    assert recorded.actor_user_id == owner.user_id
    assert (recorded.object_type, recorded.object_id) == ("user", owner.member_id)
    assert recorded.request_id == "req-replay"
    # The first login's refresh token (rotated) plus the pair issued by the rotation.
    assert recorded.changes["revoked_refresh_tokens"] >= 1
    assert refresh not in json.dumps(recorded.changes)


def test_user_created_role_changed_and_removed_are_recorded(
    org: Organization, owner: JwtClient
) -> None:
    response = owner.send(
        "post",
        "/api/v1/users/",
        {"email": "Ana@A.example", "name": "Ana", "role": "analyst", "password": PASSWORD},
        request_id="req-user-create",
    )
    assert response.status_code == 201, response.content
    member_id = response.json()["id"]
    created = event("user.created", object_id=member_id)
    assert (created.organization, created.actor_user_id) == (org, owner.user_id)
    assert created.object_type == "user"
    assert created.request_id == "req-user-create"
    assert created.changes == {"email": "ana@a.example", "role": "analyst"}
    assert PASSWORD not in json.dumps(created.changes)

    response = owner.send(
        "patch", f"/api/v1/users/{member_id}/", {"role": "admin"}, request_id="req-role"
    )
    assert response.status_code == 200, response.content
    changed = event("user.role_changed")
    assert (changed.actor_user_id, changed.object_id) == (owner.user_id, member_id)
    assert changed.request_id == "req-role"
    assert changed.changes == {"role": {"from": "analyst", "to": "admin"}}

    response = owner.send("delete", f"/api/v1/users/{member_id}/", request_id="req-remove")
    assert response.status_code == 204
    removed = event("user.removed")
    assert (removed.actor_user_id, removed.object_id) == (owner.user_id, member_id)
    assert removed.request_id == "req-remove"
    assert removed.changes == {"role": "admin"}


def test_key_created_and_revoked_are_recorded_without_the_key(
    org: Organization, owner: JwtClient
) -> None:
    response = owner.send(
        "post", "/api/v1/api-keys/", {"name": "ci", "scopes": ["read"]}, request_id="req-key"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    created = event("api_key.created")
    assert (created.organization, created.actor_user_id) == (org, owner.user_id)
    assert (created.object_type, created.object_id) == ("api_key", body["id"])
    assert created.request_id == "req-key"
    assert created.changes == {"name": "ci", "prefix": body["prefix"], "scopes": ["read"]}
    assert body["key"] not in json.dumps(created.changes)

    response = owner.send("delete", f"/api/v1/api-keys/{body['id']}/", request_id="req-revoke")
    assert response.status_code == 204
    revoked = event("api_key.revoked")
    assert (revoked.actor_user_id, revoked.object_id) == (owner.user_id, body["id"])
    assert revoked.request_id == "req-revoke"
    assert revoked.changes == {"prefix": body["prefix"]}


def test_rule_created_updated_and_deleted_are_recorded_with_before_and_after(
    org: Organization, owner: JwtClient
) -> None:
    rule = {"category": "income", "pattern": "ACME PAYROLL", "priority": 60}
    response = owner.send("post", "/api/v1/rules/", rule, request_id="req-rule-new")
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    created = event("rule.created")
    assert (created.organization, created.actor_user_id) == (org, owner.user_id)
    assert (created.object_type, created.object_id) == ("rule", rule_id)
    assert created.request_id == "req-rule-new"
    assert created.changes == {
        "category": "income",
        "pattern": "ACME PAYROLL",
        "field": "either",
        "match_type": "contains",
        "direction": "any",
        "priority": 60,
        "is_active": True,
    }

    response = owner.send(
        "patch",
        f"/api/v1/rules/{rule_id}/",
        {"priority": 70, "pattern": "ACME PAYROLL", "category": "transfer-in"},
        request_id="req-rule-edit",
    )
    assert response.status_code == 200, response.content
    updated = event("rule.updated")
    assert (updated.actor_user_id, updated.object_id) == (owner.user_id, rule_id)
    assert updated.request_id == "req-rule-edit"
    # Only what changed: the pattern was sent unchanged.
    assert updated.changes == {
        "priority": {"from": 60, "to": 70},
        "category": {"from": "income", "to": "transfer-in"},
    }

    response = owner.send("delete", f"/api/v1/rules/{rule_id}/", request_id="req-rule-del")
    assert response.status_code == 204
    deleted = event("rule.deleted")
    assert (deleted.actor_user_id, deleted.object_id) == (owner.user_id, rule_id)
    assert deleted.request_id == "req-rule-del"
    assert deleted.changes["pattern"] == "ACME PAYROLL"
    assert deleted.changes["category"] == "transfer-in"


def test_a_rule_written_with_an_api_key_names_the_key(org: Organization) -> None:
    created_key = api_key_create(organization=org, name="robot", scopes=["write"])
    robot = ApiClient(org, created_key.raw_key)
    response = robot.post(
        "/api/v1/rules/",
        {"category": "income", "pattern": "ROBOT"},
        headers={"X-Request-ID": "req-robot"},
    )
    assert response.status_code == 201, response.content
    created = event("rule.created")
    assert created.actor_api_key_id == created_key.api_key.pk
    assert created.actor_user_id is None
    assert created.request_id == "req-robot"


def _ingested(org: Organization) -> list[Transaction]:
    key = api_key_create(organization=org, name="ingest", scopes=["ingest"]).raw_key
    response = ApiClient(org, key).post(INGEST, make_batch(3))
    assert response.status_code == 202, response.content
    return list(Transaction.objects.filter(organization=org).order_by("transaction_id"))


def test_ingesting_records_nothing(org: Organization) -> None:
    AuditEvent.objects.all().delete()
    _ingested(org)
    assert not AuditEvent.objects.exclude(action="api_key.created").exists()


def test_a_manual_category_is_recorded_from_and_to(
    org: Organization, owner: JwtClient, person: Callable[..., JwtClient]
) -> None:
    row = _ingested(org)[0]
    analyst = person(org, "analyst", "ana@a.example")
    path = f"/api/v1/transactions/{row.pk}/"
    response = analyst.send("patch", path, {"category": "income"}, request_id="req-cat-1")
    assert response.status_code == 200, response.content
    response = analyst.send("patch", path, {"category": None}, request_id="req-cat-2")
    assert response.status_code == 200, response.content
    first, second = AuditEvent.objects.filter(action="transaction.categorised").order_by(
        "created_at"
    )
    for recorded in (first, second):
        assert (recorded.organization, recorded.actor_user_id) == (org, analyst.user_id)
        assert (recorded.object_type, recorded.object_id) == ("transaction", str(row.pk))
    assert first.request_id == "req-cat-1"
    assert first.changes == {"category": {"from": None, "to": "income"}}
    assert second.request_id == "req-cat-2"
    assert second.changes == {"category": {"from": "income", "to": None}}


def test_a_refused_manual_category_records_nothing(org: Organization, owner: JwtClient) -> None:
    row = _ingested(org)[0]
    path = f"/api/v1/transactions/{row.pk}/"
    assert owner.send("patch", path, {"category": "no-such-slug"}).status_code == 400
    other = Organization.objects.create(name="Org B")
    other_row = _ingested(other)[0]
    response = owner.send("patch", f"/api/v1/transactions/{other_row.pk}/", {"category": "income"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="transaction.categorised").exists()


def test_a_batch_retry_is_recorded(org: Organization, owner: JwtClient) -> None:
    rows = _ingested(org)
    Transaction.objects.filter(pk=rows[0].pk).update(ingestion_status=IngestionStatus.FAILED)
    batch_id = rows[0].batch_id
    response = owner.send("post", f"/api/v1/batches/{batch_id}/retry/", request_id="req-retry")
    assert response.status_code == 202, response.content
    recorded = event("batch.retried")
    assert (recorded.organization, recorded.actor_user_id) == (org, owner.user_id)
    assert (recorded.object_type, recorded.object_id) == ("batch", str(batch_id))
    assert recorded.request_id == "req-retry"
    assert recorded.changes == {"requeued": 1}


def test_a_rerun_is_recorded_with_its_scope(org: Organization, owner: JwtClient) -> None:
    _ingested(org)
    response = owner.send(
        "post",
        "/api/v1/categorisation/rerun/",
        {"account_ids": ["acc_1"], "start_date": "2025-10-01"},
        request_id="req-rerun",
    )
    assert response.status_code == 202, response.content
    recorded = event("categorisation.rerun")
    assert (recorded.organization, recorded.actor_user_id) == (org, owner.user_id)
    assert (recorded.object_type, recorded.object_id) == ("batch", response.json()["batch_id"])
    assert recorded.request_id == "req-rerun"
    assert recorded.changes == {"scope": response.json()["scope"]}
    assert recorded.changes["scope"]["account_ids"] == ["acc_1"]


def test_a_refused_rerun_records_nothing(org: Organization, owner: JwtClient) -> None:
    response = owner.send("post", "/api/v1/categorisation/rerun/", {"account_ids": ["nope"]})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="categorisation.rerun").exists()


def test_no_secret_is_ever_stored_in_changes(org: Organization, owner: JwtClient) -> None:
    tokens = login("owner@a.example").json()
    owner.send(
        "post", "/api/v1/users/", {"email": "b@a.example", "role": "analyst", "password": PASSWORD}
    )
    response = owner.send("post", "/api/v1/api-keys/", {"name": "k", "scopes": ["read"]})
    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    login("owner@a.example", password="wrong-password-123")
    stored = json.dumps([e.changes for e in AuditEvent.objects.all()])
    for secret in (PASSWORD, "wrong-password-123", raw, tokens["access"], tokens["refresh"]):
        assert secret not in stored
    hashed = ApiKey.objects.get(prefix=raw[:11]).hashed_key
    assert hashed not in stored


def test_secrets_handed_to_audit_record_are_redacted(org: Organization) -> None:
    raw = api_key_create(organization=org).raw_key
    jwt = login_token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    recorded = audit_record(
        organization=org,
        action="webhook.created",
        object_type="webhook",
        object_id=1,
        changes={
            "url": "https://example.com/hook",
            "signing_secret": "s3cr3t",
            "headers": [{"Authorization": f"Token {raw}"}, {"X-Other": jwt}],
            "Password": {"from": "a", "to": "b"},
            "revoked_refresh_tokens": 3,
        },
    )
    recorded.refresh_from_db()
    assert recorded.changes == {
        "url": "https://example.com/hook",
        "signing_secret": REDACTED,
        "headers": [{"Authorization": REDACTED}, {"X-Other": REDACTED}],
        "Password": REDACTED,
        "revoked_refresh_tokens": 3,
    }
    assert login_token not in json.dumps(recorded.changes)
    assert changes_redact({"prefix": raw[:11]}) == {"prefix": raw[:11]}


def test_a_deleted_actor_leaves_the_event(org: Organization, owner: JwtClient) -> None:
    owner.send("post", "/api/v1/rules/", {"category": "income", "pattern": "KEEP"})
    User.objects.filter(pk=owner.user_id).delete()
    assert event("rule.created").actor_user_id is None


def test_a_change_whose_event_cannot_be_written_does_not_happen(
    org: Organization, owner: JwtClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucro.enrichment import services
    from lucro.enrichment.models import Rule

    def broken(**kwargs: object) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.rule_create(organization=org, category=_income(), pattern="UNAUDITED")
    assert not Rule.objects.filter(pattern="UNAUDITED").exists()


def _income() -> Category:
    return Category.objects.get(slug="income")
