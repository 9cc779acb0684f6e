"""Queries answer what REST answers, read with a fixed number of SQL queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lucro.graphql_api.errors import camel
from lucro.graphql_api.tests.conftest import codes, gql
from lucro.ingestion.models import Batch
from lucro.testing import ApiClient

TRANSACTION_FIELDS = (
    "id transactionId accountId batchId amount currency date authorizedDate description "
    "merchantName paymentChannel pending ingestionStatus categorySource categoryConfidence "
    "failureReason deletedAt amountInBaseCurrency baseCurrency exchangeRate "
    "category { slug name primary { slug name } }"
)
PAGE = f"""
query Page($first: Int, $after: String, $filter: TransactionFilter) {{
  transactions(filter: $filter, first: $first, after: $after) {{
    edges {{ cursor node {{ {TRANSACTION_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""


def camelised(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(k): camelised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelised(v) for v in value]
    return value


def test_paging_an_account_with_cursors_equals_the_rest_list(api: ApiClient, world) -> None:
    rest = api.get("/api/v1/transactions/", account_id="acc_1", limit=500).json()["results"]
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {"first": 7, "after": after, "filter": {"accountId": "acc_1"}}
        status, body = gql(api, PAGE, variables)
        assert status == 200, body
        page = body["data"]["transactions"]
        seen.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"]
        after = page["pageInfo"]["endCursor"]
    assert len(rest) == 20
    assert seen == camelised(rest)


def test_an_edge_cursor_resumes_after_its_row(api: ApiClient, world) -> None:
    body = gql(api, PAGE, {"first": 10})[1]["data"]["transactions"]
    third = body["edges"][2]["cursor"]
    resumed = gql(api, PAGE, {"first": 3, "after": third})[1]["data"]["transactions"]
    assert [e["node"]["id"] for e in resumed["edges"]] == [
        e["node"]["id"] for e in body["edges"][3:6]
    ]


def test_filters_are_rests(api: ApiClient, world, categories) -> None:
    primary = categories["coffee"].parent.slug
    rest = api.get("/api/v1/transactions/", category=primary, status="completed", search="shop")
    variables = {"filter": {"category": primary, "status": "completed", "search": "shop"}}
    body = gql(api, PAGE, {**variables, "first": 50})[1]
    assert [e["node"]["id"] for e in body["data"]["transactions"]["edges"]] == [
        t["id"] for t in rest.json()["results"]
    ]
    status, bad = gql(api, PAGE, {"filter": {"startDate": "2025-13-01", "status": "nope"}})
    assert status == 200
    assert codes(bad) == ["BAD_USER_INPUT"]
    pointers = {e["pointer"] for e in bad["errors"][0]["extensions"]["errors"]}
    assert pointers == {"/filter/startDate", "/filter/status"}


def test_account_summary_equals_rest(api: ApiClient, world) -> None:
    query = """{ account(accountId: "acc_1") {
      accountId name
      summary(startDate: "2025-10-01", endDate: "2025-10-31") {
        accountId currency dateRange { start end }
        metrics { totalTransactions totalSpend totalIncome net }
        topCategories { category slug totalSpend transactionCount }
        processingStatus { pending processing completed failed }
        unconverted { currency transactionCount total }
      }
      timeseries(startDate: "2025-10-01", endDate: "2025-10-31", interval: "week") {
        interval series { start end spend income net transactionCount }
      }
    } }"""
    status, body = gql(api, query)
    assert status == 200, body
    account = body["data"]["account"]
    rest = api.get(
        "/api/v1/reports/accounts/acc_1/summary/", start_date="2025-10-01", end_date="2025-10-31"
    ).json()
    assert rest["unconverted"] == {}
    assert account["summary"] == camelised({**rest, "unconverted": []})
    series = api.get(
        "/api/v1/reports/accounts/acc_1/timeseries/",
        start_date="2025-10-01",
        end_date="2025-10-31",
        interval="week",
    ).json()["series"]
    assert account["timeseries"]["series"] == camelised(series)


def test_summary_arguments_are_validated_as_rest(api: ApiClient, world) -> None:
    query = (
        '{ account(accountId: "acc_1") '
        '{ summary(startDate: "2025-10-31", endDate: "2025-10-01") { currency } } }'
    )
    _status, body = gql(api, query)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["errors"][0]["pointer"] == "/startDate"
    assert body["data"] == {"account": {"summary": None}}


def test_account_transactions_and_the_accounts_list(api: ApiClient, world) -> None:
    query = """{
      accounts(first: 1) { edges { cursor node { accountId } } pageInfo { hasNextPage endCursor } }
      account(accountId: "acc_2") {
        transactions(first: 100) { nodes { accountId account { name } } }
      }
    }"""
    body = gql(api, query)[1]["data"]
    assert body["accounts"]["edges"][0]["node"]["accountId"] == "acc_1"
    assert body["accounts"]["pageInfo"]["hasNextPage"] is True
    nodes = body["account"]["transactions"]["nodes"]
    assert len(nodes) == 10
    assert {(n["accountId"], n["account"]["name"]) for n in nodes} == {("acc_2", "Checking")}
    after = body["accounts"]["pageInfo"]["endCursor"]
    second = gql(
        api,
        "query($a: String) { accounts(first: 5, after: $a) { nodes { accountId } } }",
        {"a": after},
    )
    assert second[1]["data"]["accounts"]["nodes"] == [{"accountId": "acc_2"}]


ACCOUNT_FIELDS = "id accountId name type subtype mask currency createdAt updatedAt deletedAt"


def test_a_page_row_s_account_is_the_one_transaction_s(api: ApiClient, world) -> None:
    # A page's rows carry their account (read with the page, taken as a plain field by the
    # executor); one transaction's account is resolved through the loader: both the same.
    rows = gql(
        api, f"{{ transactions(first: 50) {{ nodes {{ id account {{ {ACCOUNT_FIELDS} }} }} }} }}"
    )
    nodes = rows[1]["data"]["transactions"]["nodes"]
    assert len(nodes) == len(world) and {n["account"]["accountId"] for n in nodes} == {
        "acc_1",
        "acc_2",
    }
    for node in {n["account"]["accountId"]: n for n in nodes}.values():  # one per account
        one = gql(
            api,
            f"query($id: ID!) {{ transaction(id: $id) {{ account {{ {ACCOUNT_FIELDS} }} }} }}",
            {"id": node["id"]},
        )[1]["data"]["transaction"]
        assert one["account"] == node["account"]
        rest = api.get("/api/v1/accounts/" + node["account"]["accountId"] + "/").json()
        assert node["account"] == {
            camel(k): v for k, v in rest.items() if camel(k) in one["account"]
        }


def test_one_transaction_batch_categories_and_rules(api: ApiClient, world) -> None:
    rest = api.get(f"/api/v1/transactions/{world[0]}/").json()
    batch = Batch.objects.filter(organization=api.organization).first()
    rest_batch = api.get(f"/api/v1/batches/{batch.pk}/").json()
    query = f"""query($id: ID!, $batch: ID!) {{
      transaction(id: $id) {{ {TRANSACTION_FIELDS} account {{ accountId mask }} }}
      batch(id: $batch) {{ batchId kind status requestId totalTransactions created updated
        unchanged deleted counts {{ pending processing completed failed }} receivedAt startedAt
        finishedAt scope {{ accountIds }} }}
      categories {{ slug code name shortName description primary {{ slug name }} }}
      rules(first: 2) {{ nodes {{ id scope category {{ slug name }} pattern field matchType
        direction priority isActive createdAt updatedAt }} pageInfo {{ hasNextPage }} }}
    }}"""
    status, body = gql(api, query, {"id": str(world[0]), "batch": str(batch.pk)})
    assert status == 200, body
    data = body["data"]
    assert data["transaction"] == {
        **camelised(rest),
        "account": {"accountId": "acc_1", "mask": None},
    }
    rest_batch.pop("links")
    assert data["batch"] == camelised(rest_batch)
    assert data["categories"] == camelised(api.get("/api/v1/categories/").json()["results"])
    rest_rules = api.get("/api/v1/rules/", limit=2).json()["results"]
    assert data["rules"]["nodes"] == camelised(rest_rules)


def test_missing_objects_are_not_found(api: ApiClient, world) -> None:
    query = """{ transaction(id: "00000000-0000-0000-0000-000000000000") { id }
      batch(id: "nope") { batchId } account(accountId: "acc_9") { name } }"""
    status, body = gql(api, query)
    assert status == 200
    assert codes(body) == ["NOT_FOUND"] * 3
    assert body["data"] == {"transaction": None, "batch": None, "account": None}


def _page_queries(api: ApiClient, first: int) -> list[str]:
    query = """query($first: Int) { transactions(first: $first) { edges { cursor node {
      id amount category { slug name primary { slug name } } account { accountId name } } } } }"""
    gql(api, query, {"first": first})  # warm: the key's last_used_at write, the caches
    with CaptureQueriesContext(connection) as captured:
        status, body = gql(api, query, {"first": first})
    assert status == 200, body
    assert len(body["data"]["transactions"]["edges"]) == first
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("first", [10, 100])
def test_a_page_costs_a_fixed_number_of_queries(api: ApiClient, first: int, categories) -> None:
    from lucro.graphql_api.tests.conftest import ingest

    ingest(
        api.organization,
        [
            {"transaction_id": f"q{i}", "amount": "-1.00", "date": "2025-10-01", "name": "x"}
            for i in range(60)
        ],
        account_id="acc_1",
    )
    ingest(
        api.organization,
        [
            {"transaction_id": f"r{i}", "amount": "-1.00", "date": "2025-10-02", "name": "x"}
            for i in range(60)
        ],
        account_id="acc_2",
    )
    queries = _page_queries(api, first)
    # Everything counted: the API key's lookup, the rate limit's counter (a table row on
    # the embedded default, Redis elsewhere), the page (with its categories), its accounts.
    assert len(queries) <= 4, queries
    data = [q for q in queries if "tenancy_apikey" not in q and "ratelimitcounter" not in q]
    assert len(data) == 2, data
