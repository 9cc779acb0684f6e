"""GET /api/v1/audit/: owners and admins only, their organization only, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.utils import timezone

from lucro.audit.admin import AuditEventAdmin
from lucro.audit.models import AuditEvent
from lucro.audit.services import audit_record
from lucro.audit.tests.conftest import JwtClient
from lucro.tenancy.models import Organization
from lucro.tenancy.services import api_key_create, organization_get_or_create
from lucro.testing import ApiClient

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit/"


def _events(organization: Organization, n: int, start: dt.datetime) -> list[AuditEvent]:
    made = []
    for i in range(n):
        recorded = audit_record(
            organization=organization,
            action="rule.created" if i % 2 else "rule.deleted",
            object_type="rule",
            object_id=f"r{i}",
            changes={"n": i},
        )
        # Two events share each timestamp: the id must break the tie.
        recorded.created_at = start + dt.timedelta(seconds=i // 2)
        recorded.save(update_fields=["created_at"])
        made.append(recorded)
    return made


def _newest_first(events: list[AuditEvent]) -> list[str]:
    return [str(e.id) for e in sorted(events, key=lambda e: (e.created_at, e.id), reverse=True)]


def test_the_list_is_the_organizations_newest_first_and_shaped(
    org: Organization, owner: JwtClient
) -> None:
    response = owner.send(
        "post", "/api/v1/rules/", {"category": "income", "pattern": "ACME"}, request_id="req-r1"
    )
    assert response.status_code == 201
    other = organization_get_or_create(name="Org B")
    audit_record(organization=other, action="rule.created", object_type="rule", object_id="x")
    key = api_key_create(organization=org, name="robot", scopes=["write"])
    ApiClient(org, key.raw_key).post("/api/v1/rules/", {"category": "income", "pattern": "BOT"})

    body = owner.get(AUDIT).json()
    assert body["next"] is None
    actions = [e["action"] for e in body["results"]]
    # The fixture made the owner, who logged in; then two rules and a key, newest first.
    assert actions == [
        "rule.created",
        "api_key.created",
        "rule.created",
        "auth.login",
        "user.created",
    ]
    by_robot, _, by_owner, login, made = body["results"]
    assert by_robot["actor"] == {
        "type": "api_key",
        "id": str(key.api_key.pk),
        "prefix": key.api_key.prefix,
    }
    assert by_owner == {
        "id": by_owner["id"],
        "action": "rule.created",
        "actor": {"type": "user", "id": owner.member_id, "email": "owner@a.example"},
        "object": {"type": "rule", "id": response.json()["id"]},
        "changes": by_owner["changes"],
        "request_id": "req-r1",
        "created_at": by_owner["created_at"],
    }
    assert by_owner["changes"]["pattern"] == "ACME"
    assert login["actor"]["type"] == "user"
    # user.created by the fixture's service call: no actor, no request.
    assert made["actor"] == {"type": None, "id": None}
    assert made["request_id"] is None
    # Org B's event never shows.
    assert all(e["object"]["id"] != "x" for e in body["results"])


def test_the_cursor_walks_every_event_once_in_order(org: Organization, owner: JwtClient) -> None:
    AuditEvent.objects.all().delete()
    made = _events(org, 7, timezone.now() - dt.timedelta(hours=1))
    _events(organization_get_or_create(name="Org B"), 3, timezone.now())
    seen: list[str] = []
    url: str | None = f"{AUDIT}?limit=2"
    pages = 0
    while url is not None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        body = owner.get(AUDIT, **query).json()
        assert len(body["results"]) <= 2
        seen += [e["id"] for e in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 4
    assert seen == _newest_first(made)


def test_filters_by_action_and_time(org: Organization, owner: JwtClient) -> None:
    AuditEvent.objects.all().delete()
    start = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    made = _events(org, 6, start)  # at 12:00:00, :00, :01, :01, :02, :02
    created = owner.get(AUDIT, action="rule.created").json()["results"]
    assert [e["id"] for e in created] == _newest_first(
        [e for e in made if e.action == "rule.created"]
    )
    window = owner.get(
        AUDIT, since="2025-03-01T12:00:01Z", until="2025-03-01T13:00:02+01:00"
    ).json()["results"]
    assert [e["id"] for e in window] == _newest_first(made[2:4])


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"since": "2025-03-01"}, "/since"),
        ({"until": "yesterday"}, "/until"),
        ({"action": "x" * 65}, "/action"),
        ({"limit": "0"}, "/limit"),
        ({"cursor": "not-ours"}, "/cursor"),
    ],
)
def test_a_bad_filter_is_a_400_problem(
    owner: JwtClient, query: dict[str, str], pointer: str
) -> None:
    response = owner.get(AUDIT, **query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


def test_an_admin_reads_it(org: Organization, person: Callable[..., JwtClient]) -> None:
    admin = person(org, "admin", "admin@a.example")
    assert admin.get(AUDIT).status_code == 200


def test_an_analyst_gets_403(org: Organization, person: Callable[..., JwtClient]) -> None:
    analyst = person(org, "analyst", "ana@a.example")
    response = analyst.get(AUDIT)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_an_api_key_gets_403_whatever_its_scopes(org: Organization) -> None:
    key = api_key_create(organization=org).raw_key  # all three scopes
    response = ApiClient(org, key).get(AUDIT)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_no_credentials_get_401(db: None) -> None:
    assert Client().get(AUDIT).status_code == 401


def test_the_admin_is_read_only(org: Organization, admin_client: Client) -> None:
    recorded = audit_record(
        organization=org, action="rule.created", object_type="rule", object_id="r"
    )
    model_admin = site._registry[AuditEvent]
    assert isinstance(model_admin, AuditEventAdmin)
    request = admin_client.get("/admin/audit/auditevent/").wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, recorded)
    assert not model_admin.has_delete_permission(request, recorded)
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert admin_client.get(f"/admin/audit/auditevent/{recorded.pk}/change/").status_code == 200
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditevent/{recorded.pk}/delete/").status_code == 403
    assert AuditEvent.objects.filter(pk=recorded.pk).exists()
