"""Each mutation does what its REST endpoint does, through the same service."""

from __future__ import annotations

import datetime as dt

from lucro.audit.models import AuditEvent
from lucro.budgets.models import Alert, Budget
from lucro.enrichment.models import MerchantMemory, Rule
from lucro.graphql_api.tests.conftest import codes, gql
from lucro.ingestion.models import CategorySource, Transaction
from lucro.testing import ApiClient

SET_CATEGORY = """mutation($id: ID!, $category: String) {
  setTransactionCategory(id: $id, category: $category) {
    id categorySource category { slug primary { slug } } account { accountId } } }"""
CREATE_BUDGET = """mutation($input: BudgetInput!) { createBudget(input: $input) {
  id name category accounts period amount currency thresholds startsOn
  status(date: "2025-10-15") { amount spent remaining percent currency unconverted { currency } }
} }"""


def test_set_transaction_category_is_the_patch(
    api: ApiClient, world, categories, django_capture_on_commit_callbacks
) -> None:
    slug = categories["sibling"].slug
    with django_capture_on_commit_callbacks(execute=True):
        status, body = gql(api, SET_CATEGORY, {"id": str(world[20]), "category": slug})
    assert status == 200, body
    txn = body["data"]["setTransactionCategory"]
    assert txn["categorySource"] == "manual"
    assert txn["category"]["slug"] == slug
    assert txn["account"] == {"accountId": "acc_2"}
    stored = Transaction.objects.get(pk=world[20])
    assert stored.category_source == CategorySource.MANUAL
    assert stored.category_id == categories["sibling"].pk
    assert api.get(f"/api/v1/transactions/{world[20]}/").json()["category"]["slug"] == slug
    assert AuditEvent.objects.filter(organization=api.organization).exists()
    # The learned enricher's memory heard of the correction, as after a PATCH.
    assert MerchantMemory.objects.filter(organization=api.organization).exists()
    cleared = gql(api, SET_CATEGORY, {"id": str(world[20]), "category": None})[1]
    assert cleared["data"]["setTransactionCategory"]["category"] is None
    unknown = gql(api, SET_CATEGORY, {"id": str(world[20]), "category": "no-such-slug"})[1]
    assert codes(unknown) == ["BAD_USER_INPUT"]


def test_budgets_create_update_status_delete(api: ApiClient, world) -> None:
    variables = {
        "input": {
            "name": "Coffee",
            "amount": "50.00",
            "accounts": ["acc_1"],
            "startsOn": "2025-10-01",
        }
    }
    status, body = gql(api, CREATE_BUDGET, variables)
    assert status == 200, body
    budget = body["data"]["createBudget"]
    assert budget["amount"] == "50.00" and budget["accounts"] == ["acc_1"]
    assert budget["thresholds"] == [0.8, 1.0]
    rest_status = api.get(f"/api/v1/budgets/{budget['id']}/status/", date="2025-10-15").json()
    assert budget["status"]["spent"] == rest_status["spent"]
    assert budget["status"]["remaining"] == rest_status["remaining"]

    update = """mutation($id: ID!, $input: BudgetPatch!) { updateBudget(id: $id, input: $input) {
      name amount category } }"""
    patch = {"amount": "75.5", "thresholds": ["0.5", "1"]}
    body = gql(api, update, {"id": budget["id"], "input": patch})[1]
    assert body["data"]["updateBudget"] == {"name": "Coffee", "amount": "75.50", "category": None}
    assert Budget.objects.get(pk=budget["id"]).threshold_values == [0.5, 1]
    bad = gql(api, update, {"id": budget["id"], "input": {"amount": "-1", "accounts": ["nope"]}})[1]
    assert codes(bad) == ["BAD_USER_INPUT"]
    pointers = {e["pointer"] for e in bad["errors"][0]["extensions"]["errors"]}
    assert pointers == {"/input/amount", "/input/accounts/0"}

    listed = gql(api, "{ budgets { nodes { id } pageInfo { hasNextPage } } }")[1]
    assert listed["data"]["budgets"]["nodes"] == [{"id": budget["id"]}]
    delete = "mutation($id: ID!) { deleteBudget(id: $id) { id } }"
    assert gql(api, delete, {"id": budget["id"]})[1]["data"]["deleteBudget"] == {"id": budget["id"]}
    assert not Budget.objects.filter(pk=budget["id"]).exists()
    assert codes(gql(api, delete, {"id": budget["id"]})[1]) == ["NOT_FOUND"]


def test_rules_create_and_update(api: ApiClient, world, categories) -> None:
    create = """mutation($input: RuleInput!) { createRule(input: $input) {
      id scope pattern matchType priority isActive category { slug } } }"""
    variables = {
        "input": {"category": categories["coffee"].slug, "pattern": "beans", "priority": 7}
    }
    status, body = gql(api, create, variables)
    assert status == 200, body
    rule = body["data"]["createRule"]
    assert rule["scope"] == "organization" and rule["priority"] == 7 and rule["isActive"]
    update = """mutation($id: ID!, $input: RulePatch!) { updateRule(id: $id, input: $input) {
      pattern isActive } }"""
    body = gql(api, update, {"id": rule["id"], "input": {"isActive": False}})[1]
    assert body["data"]["updateRule"] == {"pattern": "beans", "isActive": False}
    assert Rule.objects.get(pk=rule["id"]).is_active is False
    bad = gql(api, create, {"input": {"category": "nope", "pattern": "(", "matchType": "regex"}})[1]
    assert codes(bad) == ["BAD_USER_INPUT"]
    global_rule = Rule.objects.filter(organization__isnull=True).first()
    refused = gql(api, update, {"id": str(global_rule.pk), "input": {"isActive": False}})[1]
    assert codes(refused) == ["FORBIDDEN"]


def test_retry_batch_requeues_the_failed(api: ApiClient, world) -> None:
    batch_id = str(Transaction.objects.get(pk=world[14]).batch_id)
    query = "mutation($id: ID!) { retryBatch(id: $id) { batchId requeued } }"
    status, body = gql(api, query, {"id": batch_id})
    assert status == 200, body
    assert body["data"]["retryBatch"] == {"batchId": batch_id, "requeued": 2}
    assert Transaction.objects.get(pk=world[14]).ingestion_status == "pending"


def test_mark_alert_read(api: ApiClient, world) -> None:
    budget = Budget.objects.create(
        organization=api.organization, name="B", amount="10", currency="USD", starts_on="2025-10-01"
    )
    alert = Alert.objects.create(
        organization=api.organization,
        budget=budget,
        period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2025, 10, 31),
        threshold="0.8",
        spent="9",
        currency="USD",
    )
    listed = gql(api, "{ alerts(unread: true) { nodes { id read spent threshold } } }")[1]
    assert listed["data"]["alerts"]["nodes"] == [
        {"id": str(alert.pk), "read": False, "spent": "9.00", "threshold": 0.8}
    ]
    query = "mutation($id: ID!) { markAlertRead(id: $id) { id read } }"
    body = gql(api, query, {"id": str(alert.pk)})[1]
    assert body["data"]["markAlertRead"] == {"id": str(alert.pk), "read": True}
    assert gql(api, "{ alerts(unread: true) { nodes { id } } }")[1]["data"]["alerts"]["nodes"] == []
    bad = gql(api, '{ alerts(budgetId: "nope") { nodes { id } } }')[1]
    assert bad["errors"][0]["extensions"]["errors"][0]["pointer"] == "/budgetId"


def test_budgets_with_their_status_read_each_budget_once(api: ApiClient, world) -> None:
    """``budgets { status }`` reads the budgets in one query (and their accounts in one);
    each status reads its spend, never its budget again. The figures are REST's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name, accounts in (("All", []), ("One", ["acc_1"]), ("Two", ["acc_1", "acc_2"])):
        variables = {"input": {"name": name, "amount": "90", "accounts": accounts,
                               "startsOn": "2025-10-01"}}  # fmt: skip
        assert "errors" not in gql(api, CREATE_BUDGET, variables)[1]
    query = '{ budgets { nodes { id status(date: "2025-10-15") { spent percent } } } }'
    with CaptureQueriesContext(connection) as captured:
        status, body = gql(api, query)
    # Read now: a later request clears the connection's log these are sliced from.
    sql = [q["sql"] for q in captured.captured_queries]
    assert status == 200, body
    nodes = body["data"]["budgets"]["nodes"]
    assert len(nodes) == 3
    for node in nodes:
        rest = api.get(f"/api/v1/budgets/{node['id']}/status/", date="2025-10-15").json()
        assert node["status"] == {"spent": rest["spent"], "percent": rest["percent"]}
    assert sum('FROM "budgets_budget" ' in q for q in sql) == 1, sql
    assert sum('FROM "budgets_budget_accounts"' in q for q in sql) <= 1, sql
