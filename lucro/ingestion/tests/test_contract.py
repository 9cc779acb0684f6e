"""The ingestion contract: the decoder, the checker and the schema say the same thing.

Every field of ``lucro.ingestion.contract``'s tables is pushed through the three consumers
built from it: the fast pass (msgspec's typed decoder), the thorough pass (the checker
that lists every problem) and the OpenAPI request components. A limit that one of them
stopped taking from the table makes a test here fail.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from lucro.core.currencies import MINOR_UNITS
from lucro.core.errors import ValidationFailed
from lucro.core.openapi import DATE_PATTERN, PLAIN_DECIMAL
from lucro.ingestion import payload
from lucro.ingestion.contract import (
    ACCOUNT_FIELDS,
    AMOUNT_DECIMAL_PLACES,
    AMOUNT_MAX_DIGITS,
    BATCH_FIELDS,
    CURRENCIES,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    TRANSACTION_FIELDS,
    Field,
    Kind,
)
from lucro.ingestion.payload import AccountIn, TransactionIn
from lucro.testing import make_batch

INGEST_PATH = "/api/v1/integrations/transactions/"
# (table, where its first row sits in a body, its schema component)
TABLES = [
    (ACCOUNT_FIELDS, "/accounts/0", "AccountInRequest"),
    (TRANSACTION_FIELDS, "/transactions/0", "TransactionInRequest"),
    (BATCH_FIELDS, "", "IngestRequestRequest"),
]


def fields_where(keep: Any = lambda field: True) -> list[Any]:
    """Return a pytest parameter (field, where, component) for each field ``keep`` takes."""
    return [
        pytest.param(field, where, component, id=f"{component}.{field.name}")
        for fields, where, component in TABLES
        for field in fields
        if keep(field)
    ]


ABSENT = object()
# The default, one below every column's length, one between, one above them all.
MAX_STRINGS = [settings.INGEST_MAX_STRING_LENGTH, 16, 100, 2000]


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return dict(schema["components"]["schemas"])


def body_with(where: str, name: str, value: Any) -> bytes:
    """Return a valid one-transaction body whose field ``where/name`` is ``value``.

    ``value`` ABSENT removes the key. Every text of the body is at most 16 characters, the
    least INGEST_MAX_STRING_LENGTH can be.
    """
    data = make_batch(1, name="AMAZON")
    target = data
    for step in where.strip("/").split("/") if where else []:
        target = target[int(step)] if isinstance(target, list) else target[step]
    if value is ABSENT:
        target.pop(name, None)
    else:
        target[name] = value
    return json.dumps(data).encode()


def fast(body: bytes, max_string: int) -> payload.BatchIn | None:
    return payload._parse_fast(body, 10, max_string, None)


def thorough_errors(body: bytes, max_string: int) -> list[dict[str, str]]:
    """Return the problems the thorough pass lists for ``body`` (none: it is accepted)."""
    try:
        # parse_batch tries the fast pass first; the thorough one answers for a failure.
        payload.parse_batch(body, max_transactions=10, max_string=max_string, header_key=None)
    except ValidationFailed as exc:
        return list(exc.errors)
    return []


def test_the_parsed_rows_hold_every_field_of_the_tables() -> None:
    for fields, row in ((ACCOUNT_FIELDS, AccountIn), (TRANSACTION_FIELDS, TransactionIn)):
        attrs = {field.attr for field in fields} | {
            field.moment_alias for field in fields if field.moment_alias
        }
        assert attrs == set(row.__struct_fields__)


@pytest.mark.parametrize(("field", "where", "component"), fields_where())
def test_required_and_nullable_agree(
    field: Field, where: str, component: str, components: dict[str, Any]
) -> None:
    schema = components[component]
    assert (field.name in schema.get("required", [])) is field.required
    prop = schema["properties"][field.name]
    assert prop.get("nullable", False) is not field.required
    max_string = settings.INGEST_MAX_STRING_LENGTH
    for body in (body_with(where, field.name, ABSENT), body_with(where, field.name, None)):
        if field.required:
            assert fast(body, max_string) is None
            pointers = {e["pointer"] for e in thorough_errors(body, max_string)}
            assert f"{where}/{field.name}" in pointers
        else:
            # Null is read as absent.
            assert fast(body, max_string) is not None
            assert thorough_errors(body, max_string) == []


@pytest.mark.parametrize("max_string", MAX_STRINGS)
@pytest.mark.parametrize(
    ("field", "where", "component"), fields_where(lambda f: f.kind in (Kind.TEXT, Kind.KEY))
)
def test_every_length_limit_is_the_same_in_decoder_checker_and_schema(
    field: Field, where: str, component: str, max_string: int, components: dict[str, Any]
) -> None:
    limit = field.max_length(max_string)
    assert limit is not None
    column_length = getattr(field.stored_in, "max_length", None)
    if column_length is not None:
        assert limit <= column_length, "the table must not accept more than the column holds"
    if max_string == settings.INGEST_MAX_STRING_LENGTH:
        assert components[component]["properties"][field.name]["maxLength"] == limit
    longest = body_with(where, field.name, "x" * limit)
    assert fast(longest, max_string) is not None
    assert thorough_errors(longest, max_string) == []
    too_long = body_with(where, field.name, "x" * (limit + 1))
    assert fast(too_long, max_string) is None
    errors = thorough_errors(too_long, max_string)
    assert [e["pointer"] for e in errors] == [f"{where}/{field.name}"]
    if field.kind is Kind.TEXT:
        assert errors[0]["detail"] == f"Must be at most {limit} characters."
    else:
        assert f"at most {limit} printable characters" in errors[0]["detail"]


@pytest.mark.parametrize(
    ("field", "where", "component"), fields_where(lambda f: f.kind is Kind.TEXT and f.required)
)
def test_a_blank_required_text_is_refused_by_both_passes(
    field: Field, where: str, component: str, components: dict[str, Any]
) -> None:
    assert components[component]["properties"][field.name]["pattern"] == r"\S"
    blank = body_with(where, field.name, " \t")
    assert fast(blank, 1024) is None
    assert thorough_errors(blank, 1024) == [
        {"pointer": f"{where}/{field.name}", "detail": "Must not be blank."}
    ]


def test_currency_codes_are_the_same_list_everywhere(components: dict[str, Any]) -> None:
    assert sorted(MINOR_UNITS) == CURRENCIES
    for fields, where, component in TABLES:
        for field in fields:
            if field.kind is not Kind.CURRENCY:
                continue
            prop = components[component]["properties"][field.name]
            ref = (prop.get("allOf") or [prop])[0]["$ref"]
            assert components[ref.rsplit("/", 1)[1]]["enum"] == CURRENCIES
            unknown = body_with(where, field.name, "XYZ")
            assert fast(unknown, 1024) is None
            assert {"pointer": f"{where}/{field.name}"}.items() <= thorough_errors(unknown, 1024)[
                0
            ].items()


def test_dates_carry_the_pattern_the_parsers_enforce(components: dict[str, Any]) -> None:
    for field in TRANSACTION_FIELDS:
        if field.kind is Kind.DATE:
            prop = components["TransactionInRequest"]["properties"][field.name]
            assert {"format": "date", "pattern": DATE_PATTERN} in prop["anyOf"]
            late = body_with("/transactions/0", field.name, "2101-01-01")
            assert not re.fullmatch(DATE_PATTERN, "2101-01-01")
            assert fast(late, 1024) is None
            assert thorough_errors(late, 1024)[0]["pointer"] == f"/transactions/0/{field.name}"


def test_amount_digits_follow_the_column() -> None:
    whole = AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES
    largest = Decimal("9" * whole + "." + "9" * AMOUNT_DECIMAL_PLACES)
    too_large = Decimal(10) ** whole
    # The schema's pattern for a decimal string.
    assert re.fullmatch(PLAIN_DECIMAL, f"-{largest}")
    assert not re.fullmatch(PLAIN_DECIMAL, f"-{too_large}")
    # Both parse paths, with a currency of as many places as the column keeps.
    assert MINOR_UNITS["CLF"] == AMOUNT_DECIMAL_PLACES
    for amount, accepted in ((largest, True), (too_large, False)):
        data = make_batch(1, currency="CLF")
        data["transactions"][0]["amount"] = str(-amount)
        body = json.dumps(data).encode()
        assert (fast(body, 1024) is not None) is accepted
        assert (thorough_errors(body, 1024) == []) is accepted


def test_batch_size_and_idempotency_key_limits_are_documented(components: dict[str, Any]) -> None:
    transactions = components["IngestRequestRequest"]["properties"]["transactions"]
    assert transactions["minItems"] == 1
    assert transactions["maxItems"] == settings.INGEST_MAX_TRANSACTIONS
    schema = SchemaGenerator().get_schema(request=None, public=True)
    header = next(
        p
        for p in schema["paths"][INGEST_PATH]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    assert header["schema"]["maxLength"] == IDEMPOTENCY_KEY_MAX_LENGTH
    with pytest.raises(ValidationFailed):
        payload.parse_batch(
            json.dumps(make_batch(1)).encode(),
            max_transactions=10,
            max_string=1024,
            header_key="k" * (IDEMPOTENCY_KEY_MAX_LENGTH + 1),
        )
