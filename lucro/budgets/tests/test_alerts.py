"""Alerts (SPEC §12): exactly one per (budget, period, threshold), only for the current
period, after each kind of change that can move a budget's spend, with its webhook event
written in the same transaction."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from lucro.budgets import services
from lucro.budgets.models import Alert, Budget
from lucro.budgets.tests.helpers import settle
from lucro.ingestion.models import Transaction
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_member
from lucro.webhooks.models import WebhookMessage
from lucro.webhooks.services import endpoint_create


@pytest.fixture
def owner(db: None) -> ApiClient:
    return make_member("Org alerts", "owner")[0]


def _today() -> dt.date:
    return timezone.now().date()


def _budget(owner: ApiClient, **body: Any) -> Budget:
    response = owner.post(
        "/api/v1/budgets/",
        {"name": "Food", "amount": "100.00", "starts_on": _today().replace(day=1).isoformat(),
         **body},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return Budget.objects.get(pk=response.json()["id"])


def _alerts(budget: Budget) -> list[tuple[dt.date, Decimal]]:
    return sorted(Alert.objects.filter(budget=budget).values_list("period_start", "threshold"))


def test_manual_category_then_delete_raise_each_threshold_once(
    owner: ApiClient,
    categories: dict[str, Category],
    commit: Callable[[], Any],
    evaluations: list[Any],
) -> None:
    org = owner.organization
    coffee, other = categories["coffee"], categories["other"]
    endpoint_create(
        organization=org, url="https://hooks.example.com/lucro",
        events=["budget.threshold_crossed"],
    )  # fmt: skip
    today = _today()
    with commit():
        settle(
            org,
            [
                ("a", "acc_usd", "-85.00", today, other),
                ("b", "acc_usd", "-30.00", today, coffee),
                ("refund", "acc_usd", "20.00", today, coffee),
            ],
        )
    with commit():
        budget = _budget(owner, category=coffee.slug)
    assert _alerts(budget) == []  # 10.00 of 100.00
    assert evaluations  # the budget was evaluated once created
    # A manual category moves 85.00 into coffee: 95.00 ≥ 80 %.
    pk = Transaction.objects.get(transaction_id="a").pk
    with commit():
        assert (
            owner.patch(f"/api/v1/transactions/{pk}/", {"category": coffee.slug}).status_code == 200
        )
    start = today.replace(day=1)
    assert _alerts(budget) == [(start, Decimal("0.8"))]
    # Deleting the refund: 115.00 ≥ 100 %.
    refund = Transaction.objects.get(transaction_id="refund").pk
    with commit():
        assert owner.delete(f"/api/v1/transactions/{refund}/").status_code in (200, 204)
    assert _alerts(budget) == [(start, Decimal("0.8")), (start, Decimal("1.0"))]
    # Evaluating again (and again) makes nothing more.
    assert services.budgets_evaluate(organization_id=org.pk) == []
    assert services.budgets_evaluate(organization_id=org.pk) == []
    assert len(_alerts(budget)) == 2
    # Each alert's webhook event was written with it, once.
    messages = WebhookMessage.objects.filter(
        organization=org, event_type="budget.threshold_crossed"
    )
    assert sorted(m.data["threshold"] for m in messages) == [0.8, 1.0]
    assert {m.data["budget"] for m in messages} == {str(budget.pk)}
    assert {m.data["spent"] for m in messages} == {"95.00", "115.00"}
    body = owner.get("/api/v1/alerts/", budget=str(budget.pk), unread="true").json()
    assert sorted(a["threshold"] for a in body["results"]) == [0.8, 1.0]


def test_no_alert_for_a_past_period(
    owner: ApiClient, categories: dict[str, Category], commit: Callable[[], Any]
) -> None:
    org = owner.organization
    coffee = categories["coffee"]
    last_month = _today().replace(day=1) - dt.timedelta(days=1)
    budget = _budget(owner, category=coffee.slug, starts_on=last_month.replace(day=1).isoformat())
    with commit():
        settle(org, [("old", "acc_usd", "-500.00", last_month, coffee)])
    assert _alerts(budget) == []
    status = owner.get(f"/api/v1/budgets/{budget.pk}/status/", date=last_month.isoformat())
    assert status.json()["thresholds_crossed"] == [0.8, 1.0]  # its status shows it
    assert services.budgets_evaluate(organization_id=org.pk) == []


def test_a_budget_edit_and_a_rate_upload_evaluate(
    owner: ApiClient, categories: dict[str, Category], commit: Callable[[], Any]
) -> None:
    org = owner.organization
    coffee = categories["coffee"]
    today = _today()
    with commit():
        settle(org, [("k", "acc_kes", "-10000.00", today, coffee)])
    with commit():
        budget = _budget(owner, category=coffee.slug)
    assert _alerts(budget) == []  # no KES rate: nothing converted, nothing spent
    assert owner.get(f"/api/v1/budgets/{budget.pk}/status/").json()["unconverted"] == {
        "KES": {"transaction_count": 1, "total": "-10000.00"}
    }
    with commit():  # 10 000 KES = 80.00 USD
        response = owner.post(
            "/api/v1/exchange-rates/",
            {"rates": [{"date": today.isoformat(), "base": "USD", "quote": "KES", "rate": "125"}]},
        )
        assert response.status_code == 200, response.content
    assert _alerts(budget) == [(today.replace(day=1), Decimal("0.8"))]
    with commit():  # lowered to 75.00: 80.00 is over 100 %
        assert owner.patch(f"/api/v1/budgets/{budget.pk}/", {"amount": "75"}).status_code == 200
    assert [t for _, t in _alerts(budget)] == [Decimal("0.8"), Decimal("1.0")]


def test_changes_no_budget_sees_ask_for_nothing(
    owner: ApiClient,
    categories: dict[str, Category],
    commit: Callable[[], Any],
    evaluations: list[Any],
) -> None:
    org = owner.organization
    with commit():
        settle(org, [("x", "acc_one_usd", "-1.00", _today(), categories["coffee"])])
    assert evaluations == []  # no budget at all
    with commit():
        _budget(owner, accounts=["acc_one_usd"])
    evaluations.clear()
    with commit():
        settle(org, [("y", "acc_two_usd", "-1.00", _today(), categories["coffee"])])
    assert evaluations == []  # an account the budget does not cover
    last_year = _today() - dt.timedelta(days=400)
    with commit():
        settle(org, [("z", "acc_one_usd", "-1.00", last_year, categories["coffee"])])
    assert evaluations == []  # outside the current period


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_evaluations_make_each_alert_once(categories: dict[str, Category]) -> None:
    """Four threads, four connections, evaluating the same budgets at once (as four
    workers finishing chunks of one batch): each threshold's alert exists once."""
    owner = make_member("Org alerts race", "owner")[0]
    org = owner.organization
    coffee = categories["coffee"]
    settle(org, [("a", "acc_usd", "-150.00", _today(), coffee)])
    budgets = [
        services.budget_create(
            organization=org, name=f"B{i}", amount=Decimal(100), category=coffee,
            starts_on=_today().replace(day=1), thresholds=[Decimal("0.5"), Decimal("0.8"),
            Decimal("1.0")],
        )
        for i in range(3)
    ]  # fmt: skip
    Alert.objects.all().delete()  # made by the creations' evaluations: race for them again
    barrier = threading.Barrier(4)
    made: list[int] = []
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            barrier.wait()
            made.append(len(services.budgets_evaluate(organization_id=org.pk)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(made) == 9  # three budgets × three thresholds, whoever made them
    for budget in budgets:
        assert len(_alerts(budget)) == 3
    assert WebhookMessage.objects.filter(organization=org).count() == 0  # no endpoint
    assert connection.vendor == "postgresql"
