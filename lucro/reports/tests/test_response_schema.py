"""The report bodies document themselves: the schema is generated from the TypedDicts."""

from __future__ import annotations

import typing
from typing import Any

import pytest
import yaml
from django.test import Client

from lucro.reports import responses

# Each operation's 200 body and the TypedDict the view returns.
OPERATIONS = {
    "account_summary": responses.AccountSummary,
    "account_categories": responses.CategoryBreakdown,
    "account_timeseries": responses.Timeseries,
    "organization_summary": responses.OrganizationSummary,
    "transaction_list": responses.TransactionPage,
    "transaction_detail": responses.Transaction,
    "transaction_categorise": responses.Transaction,
}


@pytest.fixture
def schema(client: Client, db: None) -> dict[str, Any]:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return dict(yaml.safe_load(response.content))


def _bodies(body: type) -> set[type]:
    """Return ``body`` and every TypedDict nested in it."""
    found = {body}
    for hint in typing.get_type_hints(body).values():
        for arg in [hint, *typing.get_args(hint)]:
            if typing.is_typeddict(arg):
                found |= _bodies(arg)
    return found


def _nullable(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_each_operation_answers_its_typed_body(schema: dict[str, Any], operation_id: str) -> None:
    operation = next(
        op
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    )
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": f"#/components/schemas/{OPERATIONS[operation_id].__name__}"}


@pytest.mark.parametrize(
    "body", sorted(set().union(*map(_bodies, OPERATIONS.values())), key=lambda b: b.__name__)
)
def test_every_field_of_a_body_is_in_its_component(schema: dict[str, Any], body: type) -> None:
    component = schema["components"]["schemas"][body.__name__]
    hints = typing.get_type_hints(body)
    assert list(component["properties"]) == list(hints)
    # Every key is always sent (TypedDicts here are total), null or not.
    assert sorted(component["required"]) == sorted(hints)
    for name, hint in hints.items():
        field = component["properties"][name]
        assert field.get("nullable", False) == _nullable(hint), name


def test_a_new_field_reaches_the_schema() -> None:
    # The generator reads the annotations: a key added to a body is documented with it.
    class Probe(typing.TypedDict):
        day: responses.IsoDate
        amount: responses.Money | None
        period: responses.Period

    fields = responses.serializer_for(Probe)().fields
    assert list(fields) == ["day", "amount", "period"]
    assert type(fields["day"]).__name__ == "DateField"
    assert fields["amount"].allow_null
    assert type(fields["period"]).__name__ == "PeriodSerializer"
