"""Categories and rules API: tenancy, validation, pagination, the rule tester."""

from __future__ import annotations

from typing import Any

import pytest

from lucro.enrichment.models import Rule
from lucro.enrichment.rules_version import rules_version_current
from lucro.enrichment.tests.helpers import add_rule
from lucro.testing import ApiClient

pytestmark = pytest.mark.django_db
RULE = {
    "category": "food-and-drink-coffee",
    "pattern": "Kahawa House",
    "field": "merchant",
    "match_type": "contains",
    "direction": "out",
    "priority": 70,
}


def test_categories_list_both_levels(api: ApiClient) -> None:
    body = api.get("/api/v1/categories/").json()["results"]
    by_slug = {c["slug"]: c for c in body}
    assert by_slug["food-and-drink"]["primary"] is None
    assert by_slug["food-and-drink-coffee"]["primary"]["slug"] == "food-and-drink"
    assert "rent-and-utilities-airtime-and-data" in by_slug


def test_rule_crud_bumps_the_version(api: ApiClient) -> None:
    before = rules_version_current()
    created = api.post("/api/v1/rules/", RULE)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["scope"], rule["category"]["slug"], rule["direction"]) == (
        "organization",
        "food-and-drink-coffee",
        "out",
    )
    assert rules_version_current() > before
    url = f"/api/v1/rules/{rule['id']}/"
    assert api.get(url).json()["pattern"] == "Kahawa House"
    patched = api.patch(url, {"priority": 90})
    assert patched.status_code == 200 and patched.json()["priority"] == 90
    assert patched.json()["pattern"] == "Kahawa House"
    version = rules_version_current()
    assert api.delete(url).status_code == 204
    assert rules_version_current() > version
    assert api.get(url).status_code == 404


def test_tenants_see_globals_read_only_and_never_each_other(
    api: ApiClient, other_api: ApiClient
) -> None:
    global_rule = add_rule("zzglobal", "food-and-drink-coffee")
    mine = api.post("/api/v1/rules/", RULE).json()
    assert other_api.get(f"/api/v1/rules/{mine['id']}/").status_code == 404
    assert other_api.delete(f"/api/v1/rules/{mine['id']}/").status_code == 404
    response = api.patch(f"/api/v1/rules/{global_rule.id}/", {"priority": 1})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert api.get(f"/api/v1/rules/{global_rule.id}/").json()["scope"] == "global"
    assert api.delete(f"/api/v1/rules/{global_rule.id}/").status_code == 403
    assert api.get("/api/v1/rules/not-a-uuid/").status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({**RULE, "match_type": "regex", "pattern": "(unclosed"}, "/pattern"),
        ({**RULE, "category": "no-such-category"}, "/category"),
        ({**RULE, "pattern": "   "}, "/pattern"),
        ({**RULE, "field": "amount"}, "/field"),
    ],
)
def test_rule_validation_is_problem_json(
    api: ApiClient, body: dict[str, Any], pointer: str
) -> None:
    response = api.post("/api/v1/rules/", body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]


def test_rules_cursor_pagination_walks_every_rule_once(api: ApiClient) -> None:
    for i in range(7):
        api.post("/api/v1/rules/", {**RULE, "pattern": f"zzpage {i}"})
    seen: list[str] = []
    url: str | None = "/api/v1/rules/?limit=3"
    while url:
        body = api.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == Rule.objects.filter(organization__isnull=True).count() + 7
    assert api.get("/api/v1/rules/?cursor=garbage").status_code == 400
    assert api.get("/api/v1/rules/?limit=0").status_code == 400


def test_rule_tester_returns_the_winning_rule(api: ApiClient, other_api: ApiClient) -> None:
    add_rule("zzkahawa", "food-and-drink-coffee", priority=10)
    mine = api.post(
        "/api/v1/rules/",
        {
            **RULE,
            "pattern": "zzkahawa",
            "field": "either",
            "category": "food-and-drink-restaurant",
            "priority": 1,
        },
    ).json()
    body = api.post(
        "/api/v1/rules/test/", {"description": "ZZKAHAWA NAIROBI", "amount": "-250"}
    ).json()
    assert body["matched"] and body["rule"]["id"] == mine["id"]
    assert body["category"]["slug"] == "food-and-drink-restaurant"
    other = other_api.post(
        "/api/v1/rules/test/", {"merchant_name": "zzkahawa", "amount": "-1"}
    ).json()
    assert other["category"]["slug"] == "food-and-drink-coffee"
    none = api.post("/api/v1/rules/test/", {"description": "QWXZY", "amount": "5"}).json()
    assert none == {"matched": False, "rule": None, "category": None}
    assert api.post("/api/v1/rules/test/", {"amount": "5"}).status_code == 400


def test_retry_of_another_tenants_batch_is_404(api: ApiClient, other_api: ApiClient) -> None:
    from lucro.enrichment.tests.helpers import ingest

    batch_id = ingest(api, 1)
    assert other_api.post(f"/api/v1/batches/{batch_id}/retry/").status_code == 404
    assert api.post(f"/api/v1/batches/{batch_id}/retry/").json()["requeued"] == 0
