"""The organization's settings: its base currency (SPEC §11), read by all, set by managers."""

from __future__ import annotations

import pytest

from lucro.audit.models import AuditEvent
from lucro.tenancy.models import Organization
from lucro.tenancy.services import organization_get_or_create
from lucro.testing import make_client, make_member

pytestmark = pytest.mark.django_db
URL = "/api/v1/organization/"


def test_every_member_and_key_reads_it_with_the_default_base_currency(settings) -> None:
    settings.DEFAULT_BASE_CURRENCY = "ZAR"
    analyst = make_member("Org Settings", "analyst")[0]
    key = make_client("Org Settings", scopes=["ingest"])
    for client in (analyst, key):
        body = client.get(URL).json()
        assert body["name"] == "Org Settings"
        assert body["base_currency"] == "ZAR"
        assert set(body) == {"id", "name", "base_currency", "created_at"}


def test_owners_and_admins_change_it_and_it_is_audited() -> None:
    owner = make_member("Org Settings", "owner")[0]
    admin = make_member("Org Settings", "admin")[0]
    other = organization_get_or_create(name="Other Org")
    answer = owner.patch(URL, {"base_currency": "KES"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["base_currency"] == "KES"
    assert admin.patch(URL, {"base_currency": "NGN"}).json()["base_currency"] == "NGN"
    assert Organization.objects.get(name="Org Settings").base_currency == "NGN"
    assert Organization.objects.get(pk=other.pk).base_currency == "USD"
    events = AuditEvent.objects.filter(action="organization.updated").order_by("created_at")
    assert [e.changes for e in events] == [
        {"base_currency": {"from": "USD", "to": "KES"}},
        {"base_currency": {"from": "KES", "to": "NGN"}},
    ]
    # The same value again changes (and records) nothing.
    assert owner.patch(URL, {"base_currency": "NGN"}).status_code == 200
    assert AuditEvent.objects.filter(action="organization.updated").count() == 2


@pytest.mark.parametrize(
    "body",
    [{"base_currency": "XYZ"}, {"base_currency": "usd"}, {"base_currency": 840}, {},
     {"base_currency": "KES", "name": "Renamed"}, {"base_currency": None}],
)  # fmt: skip
def test_a_bad_currency_is_a_400_that_changes_nothing(body) -> None:
    owner = make_member("Org Settings", "owner")[0]
    answer = owner.patch(URL, body)
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"]
    assert Organization.objects.get(name="Org Settings").base_currency == "USD"


def test_analysts_and_keys_may_not_change_it() -> None:
    for client in (
        make_member("Org Settings", "analyst")[0],
        make_client("Org Settings", scopes=["read", "write", "ingest"]),
    ):
        answer = client.patch(URL, {"base_currency": "KES"})
        assert answer.status_code == 403
    assert Organization.objects.get(name="Org Settings").base_currency == "USD"
