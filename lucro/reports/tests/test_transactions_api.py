from __future__ import annotations

import datetime as dt

import pytest

from lucro.ingestion.models import Transaction
from lucro.reports.tests.conftest import ingest, write_back

LIST = "/api/v1/transactions/"


@pytest.fixture
def rows(api, categories):
    ingest(
        api.organization,
        [
            {
                "transaction_id": f"t{i}",
                "amount": f"{'-' if i % 3 else ''}{i + 1}.50",
                "date": f"2025-10-{(i % 5) + 1:02d}",
                "name": f"Shop {i}",
                "merchant_name": "Starbucks" if i % 4 == 0 else "Uber",
            }
            for i in range(12)
        ],
    )
    pks = list(Transaction.objects.order_by("transaction_id").values_list("pk", flat=True))
    write_back(pks[:4], category=categories["coffee"])
    write_back(pks[4:6], status="failed")
    return pks


def test_detail_shape(api, rows, categories):
    txn = Transaction.objects.get(pk=rows[0])
    body = api.get(f"{LIST}{txn.pk}/").json()
    coffee = categories["coffee"]
    assert body == {
        "id": str(txn.pk),
        "transaction_id": txn.transaction_id,
        "account_id": "acc_1",
        "batch_id": str(txn.batch_id),
        "amount": "1.50",
        "currency": "USD",
        "date": txn.date.isoformat(),
        "authorized_date": None,
        "description": "Shop 0",
        "merchant_name": "Starbucks",
        "payment_channel": None,
        "pending": False,
        "ingestion_status": "completed",
        "category": {
            "slug": coffee.slug,
            "name": coffee.name,
            "primary": {"slug": coffee.parent.slug, "name": coffee.parent.name},
        },
        "category_source": "rule",
        "category_confidence": None,
        "failure_reason": None,
        "deleted_at": None,
        "amount_in_base_currency": "1.50",  # a USD account, a USD organization: rate 1
        "base_currency": "USD",
        "exchange_rate": "1",
    }


def test_detail_of_other_org_or_bad_id_is_404(api, other_api, rows):
    assert other_api.get(f"{LIST}{rows[0]}/").status_code == 404
    assert api.get(f"{LIST}not-a-uuid/").status_code == 404


def test_pagination_walks_every_row_once_newest_first(api, rows):
    seen, url, params = [], LIST, {"limit": "5"}
    while url:
        body = api.get(url, **params).json()
        seen.extend(body["results"])
        url, params = body["next"], {}
        # A row inserted mid-walk with an older date must not duplicate or skip others.
        if len(seen) == 5:
            ingest(
                api.organization,
                [{"transaction_id": "late", "amount": "-1.00", "date": "2025-09-01"}],
            )
    ids = [r["id"] for r in seen]
    assert len(ids) == len(set(ids)) == 13
    keys = [(r["date"]) for r in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "failed"}, 2),
        ({"status": "pending"}, 6),
        ({"source": "rule"}, 4),
        ({"search": "starbucks"}, 3),
        ({"search": "shop 1"}, 3),
        ({"start_date": "2025-10-02", "end_date": "2025-10-03"}, 5),
        ({"min_amount": "0"}, 4),
        ({"max_amount": "-5", "min_amount": "-9"}, 3),
        ({"account_id": "acc_1"}, 12),
        ({"account_id": "nope"}, 0),
    ],
)
def test_filters(api, rows, params, expected):
    body = api.get(LIST, limit="100", **params).json()
    assert len(body["results"]) == expected


def test_category_filter_matches_detailed_and_primary(api, rows, categories):
    coffee = categories["coffee"]
    assert len(api.get(LIST, category=coffee.slug).json()["results"]) == 4
    assert len(api.get(LIST, category=coffee.parent.slug).json()["results"]) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"source": "x"},
        {"limit": "0"},
        {"limit": "501"},
        {"min_amount": "abc"},
        {"start_date": "2025/10/01"},
        {"category": "no-such"},
        {"cursor": "!!!"},
    ],
)
def test_bad_filters_are_400(api, rows, params):
    response = api.get(LIST, **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_list_is_scoped_to_the_organization(other_api, rows):
    assert other_api.get(LIST).json() == {"results": [], "next": None}


def test_patch_sets_manual_category_and_updates_reports(api, rows, categories, commit):
    other = categories["other"]
    url = f"{LIST}{rows[0]}/"
    summary = "/api/v1/reports/accounts/acc_1/summary/"
    dates = {"start_date": "2025-10-01", "end_date": "2025-10-31", "level": "detailed"}
    before = api.get(summary, **dates).json()["top_categories"]
    assert [t["slug"] for t in before] == [categories["coffee"].slug]
    with commit():
        response = api.patch(url, {"category": other.slug})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"]["slug"] == other.slug
    assert (body["category_source"], body["category_confidence"]) == ("manual", 1.0)
    top = {t["slug"]: t["total_spend"] for t in api.get(summary, **dates).json()["top_categories"]}
    assert other.slug not in top  # t0 is money in: it moves no spend
    with commit():
        api.patch(f"{LIST}{rows[1]}/", {"category": other.slug})
    top = {t["slug"]: t["total_spend"] for t in api.get(summary, **dates).json()["top_categories"]}
    assert top[other.slug] == "2.50"
    # A later worker write-back keeps the manual category.
    write_back([rows[1]], category=categories["sibling"])
    assert Transaction.objects.get(pk=rows[1]).category_id == other.pk
    with commit():
        assert api.patch(url, {"category": None}).json()["category"] is None


@pytest.mark.parametrize(
    "body", [{}, {"category": 3}, {"category": ""}, [], {"category": "no-such-category"}]
)
def test_patch_rejects_bad_bodies(api, rows, body):
    response = api.patch(f"{LIST}{rows[0]}/", body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_patch_other_org_is_404(other_api, rows, categories):
    response = other_api.patch(f"{LIST}{rows[0]}/", {"category": categories["other"].slug})
    assert response.status_code == 404
    assert Transaction.objects.get(pk=rows[0]).category_source == "rule"


@pytest.mark.parametrize("params", [{}, {"status": "pending"}, {"search": "shop 1"}])
def test_a_list_over_several_accounts_merges_them_in_order(api, other_api, params):
    """The organization's list is read as each account's newest rows merged (one index
    walk per account): walked with cursors, it is the whole list in the keyset's order,
    ties of date across accounts included, with a deleted account's rows left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lucro.ingestion.models import Account

    for n in range(4):
        ingest(
            api.organization,
            [
                {"transaction_id": f"a{n}_{i}", "amount": f"-{i + 1}.00",
                 "date": f"2025-10-{(i * (n + 1)) % 6 + 1:02d}", "name": f"Shop {i}"}
                for i in range(9 + n)
            ],
            account_id=f"acc_{n}",
        )  # fmt: skip
    ingest(other_api.organization, [{"transaction_id": "x", "amount": "-1", "date": "2025-10-09"}])
    Account.objects.filter(organization=api.organization, account_id="acc_3").update(
        deleted_at=dt.datetime.now(dt.UTC)
    )
    walked, url, query = [], LIST, {"limit": "3", **params}
    with CaptureQueriesContext(connection) as captured:
        while url:
            body = api.get(url, **query).json()
            walked.extend(r["id"] for r in body["results"])
            url, query = body["next"], {}
    expected = Transaction.objects.live().filter(organization=api.organization)
    if params.get("status"):
        expected = expected.filter(ingestion_status=params["status"])
    if params.get("search"):
        expected = expected.filter(description__icontains=params["search"])
    order = expected.order_by("-date", "-created_at", "-id").values_list("pk", flat=True)
    assert walked == [str(pk) for pk in order]
    assert len(walked) > 3  # more than one page
    if connection.vendor == "postgresql":  # one short walk per account, merged
        assert any("UNION ALL" in q["sql"] for q in captured.captured_queries)
