"""The admin: every rate listed; shared (ECB) rates read-only; an organization's editable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lucro.fx.cache import fx_version
from lucro.fx.models import ExchangeRate
from lucro.fx.tests.helpers import put
from lucro.tenancy.services import organization_get_or_create

pytestmark = pytest.mark.django_db
D = dt.date(2025, 10, 30)


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("fx", "fx@example.com", "pw-fx-123456"))
    return client


def test_the_list_opens_with_its_filters_and_search(admin_client: Client) -> None:
    org = organization_get_or_create(name="Org Admin FX")
    put(D, "EUR", "USD", "1.1550")
    put(D, "USD", "KES", "129.25", org)
    for query in ("", "?source__exact=upload", "?base=USD", "?q=KES", "?date__year=2025"):
        answer = admin_client.get(f"/admin/fx/exchangerate/{query}")
        assert answer.status_code == 200, query
    assert b"129.25" in admin_client.get("/admin/fx/exchangerate/?q=Admin").content


def test_shared_rates_are_read_only(admin_client: Client) -> None:
    shared = put(D, "EUR", "USD", "1.1550")
    page = admin_client.get(f"/admin/fx/exchangerate/{shared.pk}/change/")
    assert page.status_code == 200
    assert b'name="rate"' not in page.content  # shown, not editable
    answer = admin_client.post(
        f"/admin/fx/exchangerate/{shared.pk}/change/",
        {"date": "2025-10-30", "base": "EUR", "quote": "USD", "rate": "2"},
    )
    assert answer.status_code == 403
    assert (
        admin_client.post(
            f"/admin/fx/exchangerate/{shared.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    shared.refresh_from_db()
    assert shared.rate == Decimal("1.1550")


def test_an_organizations_rate_is_corrected_through_the_service(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    org = organization_get_or_create(name="Org Admin FX")
    own = put(D, "USD", "KES", "129.25", org)
    before = fx_version(org.pk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(
            f"/admin/fx/exchangerate/{own.pk}/change/",
            {"organization": str(org.pk), "date": "2025-10-30", "base": "USD", "quote": "KES",
             "rate": "130.5"},
        )  # fmt: skip
    assert answer.status_code == 302, answer.content
    own.refresh_from_db()
    assert (own.rate, own.source) == (Decimal("130.5"), "upload")
    assert fx_version(org.pk) != before
    # Checked as an upload is.
    answer = admin_client.post(
        f"/admin/fx/exchangerate/{own.pk}/change/",
        {"organization": str(org.pk), "date": "2025-10-30", "base": "USD", "quote": "USD",
         "rate": "-1"},
    )  # fmt: skip
    assert answer.status_code == 200  # the form again, with its errors
    own.refresh_from_db()
    assert own.rate == Decimal("130.5")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/fx/exchangerate/{own.pk}/delete/", {"post": "yes"})
    assert not ExchangeRate.objects.filter(pk=own.pk).exists()
