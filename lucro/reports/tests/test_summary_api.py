from __future__ import annotations

import pytest

from lucro.ingestion.models import Transaction
from lucro.ingestion.transitions import transaction_categorise
from lucro.reports.tests.conftest import ingest, write_back

URL = "/api/v1/reports/accounts/{}/summary/"
RANGE = {"start_date": "2025-10-01", "end_date": "2025-10-31"}


def _txns(*amounts_dates: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"transaction_id": f"t{i}", "amount": a, "date": d, "name": f"shop {i}"}
        for i, (a, d) in enumerate(amounts_dates)
    ]


@pytest.fixture
def loaded(api, categories, commit):
    with commit():
        ingest(
            api.organization,
            _txns(
                ("-10.50", "2025-10-01"),
                ("-4.25", "2025-10-15"),
                ("100.00", "2025-10-31"),
                ("-7.00", "2025-11-01"),
                ("-3.00", "2025-10-20"),
            ),
        )
    rows = {t.transaction_id: t.pk for t in Transaction.objects.all()}
    with commit():
        write_back([rows["t0"], rows["t1"]], category=categories["coffee"])
        write_back([rows["t2"]], status="failed")
    return rows


def test_summary_shape_and_exact_figures(api, loaded):
    response = api.get(URL.format("acc_1"), **RANGE)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "account_id": "acc_1",
        "currency": "USD",
        "date_range": {"start": "2025-10-01", "end": "2025-10-31"},
        "metrics": {
            "total_transactions": 4,
            "total_spend": "17.75",
            "total_income": "100.00",
            "net": "82.25",
        },
        "top_categories": [
            {
                "category": "Food & Drink",
                "slug": "food-and-drink",
                "total_spend": "14.75",
                "transaction_count": 2,
            }
        ],
        "processing_status": {"pending": 1, "processing": 0, "completed": 2, "failed": 1},
        "unconverted": {},
    }


def test_detailed_level_groups_by_detailed_category(api, loaded, categories):
    body = api.get(URL.format("acc_1"), level="detailed", **RANGE).json()
    assert body["top_categories"] == [
        {
            "category": categories["coffee"].name,
            "slug": categories["coffee"].slug,
            "total_spend": "14.75",
            "transaction_count": 2,
        }
    ]


@pytest.mark.parametrize(
    "path", ["/api/reports/account/acc_1/summary/", "/api/reports/account/acc_1/summary"]
)
def test_legacy_aliases(api, loaded, path):
    response = api.get(path, **RANGE)
    assert response.status_code == 200
    assert response.json()["metrics"]["total_transactions"] == 4


def test_top_three_ties_broken_by_name(api, categories, commit):
    cats = [categories["coffee"], categories["other"], categories["primary"], categories["sibling"]]
    with commit():
        ingest(api.organization, _txns(*[("-5.00", "2025-10-02")] * 4))
    for txn, category in zip(Transaction.objects.order_by("transaction_id"), cats, strict=True):
        with commit():
            write_back([txn.pk], category=category)
    top = api.get(URL.format("acc_1"), level="detailed", **RANGE).json()["top_categories"]
    assert [t["category"] for t in top] == sorted(c.name for c in cats)[:3]


def test_no_transactions_in_range_is_zeros(api, loaded):
    body = api.get(URL.format("acc_1"), start_date="2024-01-01", end_date="2024-01-31").json()
    assert body["metrics"] == {
        "total_transactions": 0,
        "total_spend": "0.00",
        "total_income": "0.00",
        "net": "0.00",
    }
    assert body["top_categories"] == []
    assert body["processing_status"] == {"pending": 0, "processing": 0, "completed": 0, "failed": 0}


def test_currency_minor_units(api, commit):
    with commit():
        ingest(
            api.organization,
            [{"transaction_id": "j", "amount": -1500, "date": "2025-10-03"}],
            account_id="yen",
            currency="JPY",
        )
    body = api.get(URL.format("yen"), **RANGE).json()
    assert body["currency"] == "JPY"
    assert body["metrics"]["total_spend"] == "1500"


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"end_date": "2025-10-31"}, "/start_date"),
        ({"start_date": "2025-10-01"}, "/end_date"),
        ({"start_date": "2025-13-01", "end_date": "2025-10-31"}, "/start_date"),
        ({"start_date": "01/10/2025", "end_date": "2025-10-31"}, "/start_date"),
        ({"start_date": "2025-10-01", "end_date": "20251031"}, "/end_date"),
        ({"start_date": "2025-11-01", "end_date": "2025-10-31"}, "/start_date"),
        ({"start_date": "2024-01-01", "end_date": "2025-01-01"}, "/end_date"),
        ({"start_date": "2025-10-01", "end_date": "2025-10-31", "level": "x"}, "/level"),
    ],
)
def test_errors_are_problem_json(api, loaded, params, pointer):
    response = api.get(URL.format("acc_1"), **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["errors"][0]["pointer"] == pointer


def test_range_of_exactly_the_maximum_is_allowed(api, loaded, settings):
    settings.REPORT_MAX_RANGE_DAYS = 366
    response = api.get(URL.format("acc_1"), start_date="2024-01-01", end_date="2024-12-31")
    assert response.status_code == 200


def test_other_organization_cannot_see_the_account(api, other_api, loaded):
    response = other_api.get(URL.format("acc_1"), **RANGE)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert api.get(URL.format("missing"), **RANGE).status_code == 404


def test_unauthenticated_is_401(client, loaded):
    assert client.get(URL.format("acc_1"), RANGE).status_code == 401


def test_same_external_id_in_two_organizations_is_isolated(api, other_api, loaded, commit):
    with commit():
        ingest(other_api.organization, _txns(("-999.00", "2025-10-05")))
    mine = api.get(URL.format("acc_1"), **RANGE).json()
    theirs = other_api.get(URL.format("acc_1"), **RANGE).json()
    assert mine["metrics"]["total_spend"] == "17.75"
    assert theirs["metrics"] == {
        "total_transactions": 1,
        "total_spend": "999.00",
        "total_income": "0.00",
        "net": "-999.00",
    }


# --- Never stale ---------------------------------------------------------------------------


def _metrics(api):
    return api.get(URL.format("acc_1"), **RANGE).json()


def test_read_after_ingestion_is_fresh(api, loaded, commit):
    before = _metrics(api)["metrics"]
    with commit():
        ingest(
            api.organization, [{"transaction_id": "new", "amount": "-2.00", "date": "2025-10-09"}]
        )
    after = _metrics(api)["metrics"]
    assert after["total_transactions"] == before["total_transactions"] + 1
    assert after["total_spend"] == "19.75"


def test_read_after_reingest_with_changed_amount_is_fresh(api, loaded, commit):
    assert _metrics(api)["metrics"]["total_spend"] == "17.75"
    with commit():
        ingest(
            api.organization,
            [{"transaction_id": "t0", "amount": "-20.50", "date": "2025-10-01", "name": "shop 0"}],
        )
    body = _metrics(api)
    assert body["metrics"]["total_spend"] == "27.75"
    assert body["processing_status"]["pending"] == 2
    assert body["processing_status"]["completed"] == 1


def test_read_after_enrichment_is_fresh(api, loaded, categories, commit):
    assert _metrics(api)["processing_status"]["pending"] == 1
    with commit():
        write_back([loaded["t4"]], category=categories["other"])
    body = _metrics(api)
    assert body["processing_status"] == {"pending": 0, "processing": 0, "completed": 3, "failed": 1}
    assert categories["other"].parent.slug in [t["slug"] for t in body["top_categories"]]


def test_read_after_manual_recategorisation_is_fresh(api, loaded, categories, commit):
    assert _metrics(api)["top_categories"][0]["total_spend"] == "14.75"
    with commit():
        transaction_categorise(
            organization=api.organization,
            transaction_pk=str(loaded["t0"]),
            category_slug=categories["other"].slug,
        )
    top = {t["slug"]: t["total_spend"] for t in _metrics(api)["top_categories"]}
    assert top == {
        categories["coffee"].parent.slug: "4.25",
        categories["other"].parent.slug: "10.50",
    }


def test_organization_summary_is_per_currency(api, loaded, commit):
    with commit():
        ingest(
            api.organization,
            [{"transaction_id": "k", "amount": "-50.00", "date": "2025-10-03"}],
            account_id="ke",
            currency="KES",
        )
    body = api.get("/api/v1/reports/summary/", **RANGE).json()
    assert [
        (c["currency"], c["accounts"], c["metrics"]["total_spend"]) for c in body["currencies"]
    ] == [("KES", 1, "50.00"), ("USD", 1, "17.75")]
    assert api.get("/api/v1/reports/summary/").status_code == 400
