"""A small world for the dashboard's tests: two organizations, people of each role, an
account with two months of categorised transactions, and a logged-in test client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from lucro.ingestion.models import Transaction
from lucro.reports.tests.conftest import ingest, write_back
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Membership, Organization, User
from lucro.tenancy.services import organization_get_or_create
from lucro.testing import dashboard_client

PASSWORD = "a-dashboard-password-9"
ROWS = 30


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingestion queues enrichment on commit; these tests write the results back themselves."""
    monkeypatch.setattr("lucro.enrichment.tasks._send_batch", lambda batch_id: None)


def member(organization: Organization, role: str, email: str, password: str | None = None) -> User:
    """Return a new user with ``role`` in ``organization`` (a real password only if given:
    an Argon2 hash costs ≈ 0.2 s)."""
    user = User(username=email, email=email, first_name=role.title())
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


def fill(organization: Organization, account_id: str = "acc_1", rows: int = ROWS) -> None:
    """Ingest ``rows`` transactions over this month and the last, settled: money out in
    one category, and one salary (income)."""
    today = timezone.now().date()
    first = today.replace(day=1)
    last_month = first - dt.timedelta(days=1)
    days = [first + dt.timedelta(days=i % today.day) for i in range(rows // 2)]
    days += [last_month - dt.timedelta(days=i % 20) for i in range(rows - len(days))]
    txns: list[dict[str, Any]] = [
        {
            "transaction_id": f"{account_id}_tx_{i}",
            "amount": f"-{12 + i}.50",
            "date": day.isoformat(),
            "name": f"COFFEE SHOP {i}",
            "merchant_name": "Bean There",
        }
        for i, day in enumerate(days)
    ]
    txns.append(
        {"transaction_id": f"{account_id}_salary", "amount": "2500.00", "date": first.isoformat()}
    )
    ingest(organization, txns, account_id=account_id)
    coffee = Category.objects.filter(slug__contains="coffee").first()
    income = Category.objects.filter(slug="income").first()
    rows_of = Transaction.objects.filter(organization=organization, account__account_id=account_id)
    write_back(
        rows_of.exclude(transaction_id__endswith="_salary").values_list("pk", flat=True),
        category=coffee,
    )
    write_back(
        rows_of.filter(transaction_id__endswith="_salary").values_list("pk", flat=True),
        category=income,
    )


@dataclass
class World:
    a: Organization
    b: Organization
    owner: User
    analyst: User
    outsider: User


@pytest.fixture
def world(db: None) -> World:
    a = organization_get_or_create(name="Dash A")
    b = organization_get_or_create(name="Dash B")
    fill(a)
    fill(b, account_id="acc_b")
    return World(
        a=a,
        b=b,
        owner=member(a, "owner", "owner@a.example"),
        analyst=member(a, "analyst", "analyst@a.example"),
        outsider=member(b, "owner", "owner@b.example"),
    )


@pytest.fixture
def logged_in(world: World) -> Callable[[User, Organization], Client]:
    """Return a client with a dashboard session of ``user`` in ``organization``."""
    return dashboard_client
