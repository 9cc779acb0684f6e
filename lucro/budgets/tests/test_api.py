"""The budget and alert APIs (SPEC §12): shapes, validation, roles and tenancy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from lucro.audit.models import AuditEvent
from lucro.budgets.models import Alert, Budget
from lucro.budgets.tests.helpers import settle
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_client, make_member

BUDGETS = "/api/v1/budgets/"
ALERTS = "/api/v1/alerts/"


@pytest.fixture
def owner(db: None) -> ApiClient:
    return make_member("Org budgets", "owner")[0]


@pytest.fixture
def analyst(owner: ApiClient) -> ApiClient:
    return make_member("Org budgets", "analyst")[0]


@pytest.fixture
def stranger(db: None) -> ApiClient:
    return make_member("Org budgets B", "owner")[0]


def _create(api: ApiClient, **body: Any) -> Any:
    return api.post(BUDGETS, {"name": "Food", "amount": "500.00", **body})


def test_create_defaults_read_update_delete(
    owner: ApiClient, categories: dict[str, Category]
) -> None:
    primary = categories["coffee"].parent
    assert primary is not None
    response = _create(owner, category=primary.slug)
    assert response.status_code == 201, response.content
    body = response.json()
    today = timezone.now().date().isoformat()
    assert body["name"] == "Food"
    assert body["category"] == primary.slug
    assert body["accounts"] == []
    assert (body["period"], body["amount"], body["currency"]) == ("monthly", "500.00", "USD")
    assert body["thresholds"] == [0.8, 1.0]
    assert body["starts_on"] == today
    assert response["Location"] == f"/api/v1/budgets/{body['id']}/"
    assert owner.get(f"{BUDGETS}{body['id']}/").json() == body
    listed = owner.get(BUDGETS).json()
    assert [b["id"] for b in listed["results"]] == [body["id"]] and listed["next"] is None
    patched = owner.patch(
        f"{BUDGETS}{body['id']}/", {"amount": 250, "thresholds": [1.0, 0.5], "category": None}
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["amount"] == "250.00"
    assert patched.json()["thresholds"] == [0.5, 1.0]
    assert patched.json()["category"] is None
    assert owner.delete(f"{BUDGETS}{body['id']}/").status_code == 204
    assert owner.get(f"{BUDGETS}{body['id']}/").status_code == 404
    actions = list(
        AuditEvent.objects.filter(object_type="budget", object_id=body["id"])
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == ["budget.created", "budget.updated", "budget.deleted"]
    updated = AuditEvent.objects.get(action="budget.updated", object_id=body["id"])
    assert updated.changes["amount"] == {"from": "500.00", "to": "250.00"}


def test_accounts_by_their_ids(owner: ApiClient) -> None:
    org = owner.organization
    settle(org, [("t1", "acc_usd", "-1.00", dt.date(2025, 10, 1), None)])
    settle(org, [("t2", "acc_two_usd", "-1.00", dt.date(2025, 10, 1), None)])
    response = _create(owner, accounts=["acc_usd", "acc_usd"])
    assert response.status_code == 201, response.content
    assert response.json()["accounts"] == ["acc_usd"]
    assert list(Budget.objects.get().accounts.values_list("account_id", flat=True)) == ["acc_usd"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": ""}, "/name"),
        ({"amount": None}, "/amount"),
        ({"amount": "-5"}, "/amount"),
        ({"amount": 0}, "/amount"),
        ({"amount": "1.001"}, "/amount"),
        ({"amount": "1e3"}, "/amount"),
        ({"amount": True}, "/amount"),
        ({"category": "no-such-category"}, "/category"),
        ({"category": 3}, "/category"),
        ({"accounts": ["acc_nope"]}, "/accounts/0"),
        ({"accounts": "acc_usd"}, "/accounts"),
        ({"period": "daily"}, "/period"),
        ({"thresholds": []}, "/thresholds"),
        ({"thresholds": [0]}, "/thresholds/0"),
        ({"thresholds": [0.5, 11]}, "/thresholds/1"),
        ({"thresholds": [0.5, 0.5]}, "/thresholds"),
        ({"thresholds": ["x"]}, "/thresholds/0"),
        ({"starts_on": "2025-13-01"}, "/starts_on"),
        ({"starts_on": "20251001"}, "/starts_on"),
    ],
)
def test_invalid_bodies_are_400_with_pointers(
    owner: ApiClient, body: dict[str, Any], pointer: str
) -> None:
    response = _create(owner, **body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointer in pointers, pointers
    assert not Budget.objects.exists()


def test_not_json_and_not_an_object(owner: ApiClient) -> None:
    response = owner.post(BUDGETS, raw="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = owner.post(BUDGETS, [1, 2])
    assert response.status_code == 400
    assert not Budget.objects.exists()


def test_roles_and_scopes(owner: ApiClient, analyst: ApiClient) -> None:
    budget = _create(owner).json()
    url = f"{BUDGETS}{budget['id']}/"
    assert _create(analyst).status_code == 403
    assert analyst.patch(url, {"amount": 1}).status_code == 403
    assert analyst.delete(url).status_code == 403
    assert analyst.get(url).status_code == 200
    assert analyst.get(f"{url}status/").status_code == 200
    assert analyst.get(ALERTS).status_code == 200
    reader = make_client("Org budgets", scopes=["read"])
    assert reader.get(url).status_code == 200
    assert _create(reader).status_code == 403
    writer = make_client("Org budgets", scopes=["write"])
    assert _create(writer).status_code == 201


def test_another_organization_sees_nothing(owner: ApiClient, stranger: ApiClient) -> None:
    budget = _create(owner).json()
    url = f"{BUDGETS}{budget['id']}/"
    alert = Alert.objects.create(
        organization=owner.organization,
        budget_id=budget["id"],
        period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2025, 10, 31),
        threshold="0.8",
        spent="400",
        currency="USD",
    )
    for response in (
        stranger.get(url),
        stranger.patch(url, {"amount": 1}),
        stranger.delete(url),
        stranger.get(f"{url}status/"),
        stranger.post(f"{ALERTS}{alert.pk}/read/", None),
        stranger.get(f"{BUDGETS}not-a-uuid/"),
    ):
        assert response.status_code == 404, response.content
    assert stranger.get(BUDGETS).json()["results"] == []
    assert stranger.get(ALERTS, budget=budget["id"]).json()["results"] == []
    assert Budget.objects.filter(pk=budget["id"]).exists()


def test_alert_list_filters_and_read(owner: ApiClient, analyst: ApiClient) -> None:
    one, two = _create(owner).json(), _create(owner, name="Other").json()
    made = [
        Alert.objects.create(
            organization=owner.organization,
            budget_id=budget["id"],
            period_start=dt.date(2025, 10, 1),
            period_end=dt.date(2025, 10, 31),
            threshold=threshold,
            spent="450.5",
            currency="USD",
        )
        for budget, threshold in ((one, "0.8"), (one, "1.0"), (two, "0.8"))
    ]
    body = owner.get(ALERTS, budget=one["id"]).json()
    assert {a["id"] for a in body["results"]} == {str(made[0].pk), str(made[1].pk)}
    first = next(a for a in body["results"] if a["id"] == str(made[0].pk))
    assert first == {
        "id": str(made[0].pk),
        "budget": one["id"],
        "period": {"start": "2025-10-01", "end": "2025-10-31"},
        "threshold": 0.8,
        "spent": "450.50",
        "currency": "USD",
        "created_at": first["created_at"],
        "read": False,
    }
    read = analyst.post(f"{ALERTS}{made[0].pk}/read/", None)  # analysts may mark read
    assert read.status_code == 200 and read.json()["read"] is True
    unread = owner.get(ALERTS, unread="true").json()["results"]
    assert {a["id"] for a in unread} == {str(made[1].pk), str(made[2].pk)}
    assert [a["id"] for a in owner.get(ALERTS, unread="false").json()["results"]] == [
        str(made[0].pk)
    ]
    for params in ({"budget": "x"}, {"unread": "yes"}):
        response = owner.get(ALERTS, **params)
        assert response.status_code == 400
        assert response.json()["errors"][0]["pointer"] == f"/{next(iter(params))}"
    reader = make_client("Org budgets", scopes=["read"])
    assert reader.post(f"{ALERTS}{made[1].pk}/read/", None).status_code == 403


def test_status_date_is_validated(owner: ApiClient) -> None:
    budget = _create(owner).json()
    response = owner.get(f"{BUDGETS}{budget['id']}/status/", date="2025-02-30")
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/date"
