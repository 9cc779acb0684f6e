"""The operators' pages for budgets and alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lucro.budgets.models import Alert, Budget
from lucro.tenancy.services import organization_get_or_create


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123"))
    return client


def test_budget_and_alert_pages(admin_client: Client) -> None:
    org = organization_get_or_create(name="Org admin budgets")
    budget = Budget.objects.create(
        organization=org, name="Groceries", amount=Decimal("500"), currency="KES",
        thresholds=["0.8", "1.0"], starts_on=dt.date(2025, 10, 1),
    )  # fmt: skip
    Alert.objects.create(
        organization=org, budget=budget, period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2025, 10, 31), threshold=Decimal("0.8"), spent=Decimal("401.5"),
        currency="KES",
    )  # fmt: skip
    page = admin_client.get("/admin/budgets/budget/")
    assert page.status_code == 200
    assert "500.00 KES" in page.content.decode()  # money as people read it
    # Read-only: changes go through the API (validation, audit, evaluation).
    detail = admin_client.get(f"/admin/budgets/budget/{budget.pk}/change/")
    assert detail.status_code == 200
    assert 'name="amount"' not in detail.content.decode()
    assert admin_client.get("/admin/budgets/budget/add/").status_code == 403
    alerts = admin_client.get("/admin/budgets/alert/")
    assert alerts.status_code == 200
    assert "401.50 KES" in alerts.content.decode()
    # Alerts are made by evaluations only.
    assert admin_client.get("/admin/budgets/alert/add/").status_code == 403
