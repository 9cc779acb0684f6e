"""The scalar fast path (``execution.LeafFastExecutionContext``) answers exactly as
graphql-core's own executor: the same data, the same errors at the same paths, in the same
key order — on a schema made to hit each way a plain field can go wrong."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from lucro.graphql_api.execution import LeafFastExecutionContext
from lucro.graphql_api.schema import document_resolver


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str  # non-null: a None read is an error
    note: str | None
    count: int  # a value Int refuses is an error
    colour: Colour | None
    tags: list[str]  # a list: the ordinary path

    @strawberry.field
    def shout(self) -> str:
        return str(document_resolver(self, "name")).upper()

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError("resolver failed")


@strawberry.type
class Box:
    label: str
    items: list[Item]
    loose: list[Item | None]  # an item's error nulls that item only
    first: Item | None


def _items() -> list[dict[str, Any]]:
    return [
        {"name": "a", "note": None, "count": 1, "colour": Colour.RED, "tags": ["x"]},
        {"name": None, "note": "n", "count": 2, "colour": None, "tags": []},  # null name
        {"name": "c", "note": "m", "count": "not a number", "colour": Colour.BLUE, "tags": []},
        {"name": "d", "note": "o", "count": 2**40, "colour": None, "tags": ["y"]},  # > Int
    ]


@strawberry.type
class Holder:
    tag: str
    optional: Item | None  # a non-null error below it nulls it
    required: Item  # a non-null error below it nulls the holder
    fine: Item


@strawberry.type
class Query:
    @strawberry.field
    def holder(self) -> Holder | None:
        bad, good = _items()[1], _items()[0]
        return Holder(tag="h", optional=bad, required=bad, fine=good)  # type: ignore[arg-type]

    @strawberry.field
    def good_holder(self) -> Holder:
        bad, good = _items()[1], _items()[0]
        return Holder(tag="g", optional=bad, required=good, fine=good)  # type: ignore[arg-type]

    @strawberry.field
    def box(self) -> Box:
        return Box(label="b", items=_items(), loose=_items(), first=_items()[1])  # type: ignore[arg-type]

    @strawberry.field
    def strict(self) -> list[Item]:
        return _items()[:2]  # type: ignore[return-value]


QUERIES = [
    "{ box { label items { name note count colour tags shout } } }",
    "{ box { items { n: name again: name note __typename ...F } } } fragment F on Item { count }",
    "query($s: Boolean!) { box { items { name @skip(if: $s) note @include(if: $s) count } } }",
    "{ box { first { name fails count } label } }",
    "{ strict { name } }",
    "{ box { items { colour fails note } label } }",
    "{ holder { tag optional { name } fine { count } } goodHolder { optional { name } } }",
    "{ holder { tag required { count name } fine { count } } }",
    "{ goodHolder { tag optional { count } required { name shout } fine { fails } } }",
    "{ box { loose { name count colour } label } }",
]


def _run(context: type[Any], query: str) -> str:
    schema = strawberry.Schema(
        query=Query,
        config=StrawberryConfig(default_resolver=document_resolver),
        execution_context_class=context,
    )
    result = schema.execute_sync(query, variable_values={"s": True})
    errors = sorted((json.dumps(e.path), e.message) for e in result.errors or ())
    # json.dumps keeps the key order: the order of the response is compared too.
    return json.dumps({"data": result.data, "errors": errors})


@pytest.mark.parametrize("query", QUERIES)
def test_the_fast_path_answers_as_graphql_core_does(query: str) -> None:
    expected = _run(StrawberryGraphQLCoreExecutionContext, query)
    assert _run(LeafFastExecutionContext, query) == expected
    # Each query reaches at least one error path: equal answers without errors would say
    # nothing about how the fast path reports them.
    assert json.loads(expected)["errors"]


def test_the_cases_above_do_raise_errors() -> None:
    """The comparison above would pass on two executors that both dropped every error."""
    answer = json.loads(_run(LeafFastExecutionContext, QUERIES[-1]))
    assert [path for path, _ in answer["errors"]] == [
        '["box", "loose", 1, "name"]', '["box", "loose", 2, "count"]',
        '["box", "loose", 3, "count"]',
    ]  # fmt: skip
    messages = " ".join(message for _, message in answer["errors"])
    assert "Cannot return null for non-nullable field Item.name" in messages
    assert "Int cannot represent" in messages
    assert answer["data"]["box"] == {
        "loose": [{"name": "a", "count": 1, "colour": "RED"}, None, None, None], "label": "b",
    }  # fmt: skip
