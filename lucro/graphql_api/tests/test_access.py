"""Roles, scopes and tenancy: refused where REST refuses, another tenant's is NOT_FOUND."""

from __future__ import annotations

import datetime as dt

import pytest

from lucro.budgets.models import Budget
from lucro.graphql_api.tests.conftest import codes, gql
from lucro.ingestion.models import Transaction
from lucro.testing import ApiClient, make_client, make_member

READ = "{ transactions(first: 1) { nodes { id } } }"
RATE = '{ exchangeRate(base: "USD", quote: "USD", date: "2025-10-01") { rate source } }'
CATEGORISE = 'mutation { setTransactionCategory(id: "%s", category: null) { id } }'
CONFIGURE = 'mutation { createRule(input: {category: "%s", pattern: "zzz"}) { id } }'
INGEST = 'mutation { retryBatch(id: "%s") { requeued } }'

# What each caller may do, as SPEC §9's table (and REST) says.
ALLOWED = {
    ("owner", None): {"read", "categorise", "configure", "ingest"},
    ("admin", None): {"read", "categorise", "configure", "ingest"},
    ("analyst", None): {"read", "categorise"},
    (None, "read"): {"read"},
    (None, "write"): {"categorise", "configure"},
    (None, "ingest"): {"ingest"},
}


@pytest.mark.parametrize(("role", "scope"), list(ALLOWED))
def test_each_caller_is_refused_where_rest_refuses(world, categories, role, scope) -> None:
    client = make_member("Org A", role)[0] if role else make_client("Org A", scopes=[scope])
    txn = Transaction.objects.get(pk=world[0])
    operations = {
        "read": (READ, f"/api/v1/transactions/{txn.pk}/", "get", None),
        "categorise": (
            CATEGORISE % txn.pk,
            f"/api/v1/transactions/{txn.pk}/",
            "patch",
            {"category": None},
        ),
        "configure": (
            CONFIGURE % categories["coffee"].slug,
            "/api/v1/rules/",
            "post",
            {"category": categories["coffee"].slug, "pattern": "yyy"},
        ),
        "ingest": (INGEST % txn.batch_id, f"/api/v1/batches/{txn.batch_id}/retry/", "post", None),
    }
    for name, (query, path, method, body) in operations.items():
        allowed = name in ALLOWED[(role, scope)]
        rest = (
            getattr(client, method)(path, body)
            if body is not None or method == "post"
            else client.get(path)
        )
        assert (rest.status_code < 300) is allowed, (name, rest.status_code)
        status, answer = gql(client, query)
        assert status == 200
        assert codes(answer) == ([] if allowed else ["FORBIDDEN"]), (name, answer)
    # Every caller reads who they are; a rate needs the read capability.
    assert codes(gql(client, "{ me { organization { name } } }")[1]) == []
    assert codes(gql(client, RATE)[1]) == (
        [] if "read" in ALLOWED[(role, scope)] else ["FORBIDDEN"]
    )


def test_another_tenant_sees_nothing_of_a(api: ApiClient, other_api: ApiClient, world) -> None:
    txn = Transaction.objects.get(pk=world[0])
    budget = Budget.objects.create(
        organization=api.organization,
        name="B",
        amount="10",
        currency="USD",
        starts_on=dt.date(2025, 10, 1),
    )
    query = """query($account: String!, $txn: ID!, $batch: ID!, $budget: ID!) {
      account(accountId: $account) { name }
      transaction(id: $txn) { id }
      batch(id: $batch) { batchId }
      budget(id: $budget) { name }
    }"""
    ids = {"txn": str(txn.pk), "batch": str(txn.batch_id), "budget": str(budget.pk)}
    status, body = gql(other_api, query, {"account": "acc_1", **ids})
    assert status == 200
    assert codes(body) == ["NOT_FOUND"] * 4
    assert body["data"] == {"account": None, "transaction": None, "batch": None, "budget": None}
    # The same answers as for ids that never existed, in A itself.
    made_up = "00000000-0000-0000-0000-000000000000"
    missing = gql(
        api, query, {"account": "acc_9", "txn": made_up, "batch": made_up, "budget": made_up}
    )[1]
    assert missing["errors"] == body["errors"]
    lists = gql(
        other_api,
        "{ transactions { nodes { id } } accounts { nodes { id } } budgets { nodes { id } } }",
    )[1]
    assert lists["data"] == {
        "transactions": {"nodes": []},
        "accounts": {"nodes": []},
        "budgets": {"nodes": []},
    }
    mutation = (
        "mutation($id: ID!) { setTransactionCategory(id: $id, category: null) { id } "
        f'deleteBudget(id: "{budget.pk}") {{ id }} }}'
    )
    assert codes(gql(other_api, mutation, {"id": str(txn.pk)})[1]) == ["NOT_FOUND", "NOT_FOUND"]
    assert Budget.objects.filter(pk=budget.pk).exists()
