"""People with roles, logged in by JWT, and the audit events their requests leave."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from lucro.audit.models import AuditEvent
from lucro.tenancy.models import Organization
from lucro.tenancy.services import organization_get_or_create, user_create

PASSWORD = "plum-orchard-lantern-47"


class JwtClient:
    """A test client that sends a person's access token, JSON bodies and a request id."""

    def __init__(
        self, access: str, user_id: int, organization: Organization, member_id: str = ""
    ) -> None:
        self.access = access
        self.user_id = user_id
        # The person's id in the organization (the membership), as the API names them.
        self.member_id = member_id
        self.organization = organization
        self.client = Client()

    def _headers(self, request_id: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access}"}
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        return headers

    def get(self, path: str, request_id: str | None = None, **params: Any) -> Any:
        return self.client.get(path, params, headers=self._headers(request_id))

    def send(self, method: str, path: str, body: Any = None, request_id: str | None = None) -> Any:
        return getattr(self.client, method)(
            path,
            data=json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(request_id),
        )


def login(email: str, password: str = PASSWORD, request_id: str | None = None) -> Any:
    headers = {"X-Request-ID": request_id} if request_id else {}
    return Client().post(
        "/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password}),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def org(db: None) -> Organization:
    return organization_get_or_create(name="Org A")


@pytest.fixture
def person(db: None) -> Callable[..., JwtClient]:
    """Return a factory: a member of ``organization`` with ``role``, logged in."""

    def make(organization: Organization, role: str, email: str) -> JwtClient:
        membership = user_create(
            organization=organization, email=email, role=role, password=PASSWORD
        ).membership
        response = login(email)
        assert response.status_code == 200, response.content
        return JwtClient(
            response.json()["access"], membership.user_id, organization, str(membership.pk)
        )

    return make


@pytest.fixture
def owner(org: Organization, person: Callable[..., JwtClient]) -> JwtClient:
    return person(org, "owner", "owner@a.example")


def event(action: str, **filters: Any) -> AuditEvent:
    """Return the one event of ``action`` (and ``filters``) recorded so far."""
    events = list(AuditEvent.objects.filter(action=action, **filters))
    assert len(events) == 1, (action, events)
    return events[0]
