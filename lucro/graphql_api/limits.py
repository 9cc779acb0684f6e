"""What one GraphQL request may ask for: its size, depth, aliases, page sizes and nodes.

A REST list answers one page of one thing; a GraphQL query can nest lists in lists and
repeat a costly field under many aliases. Each limit refuses a query before it runs
(``BAD_USER_INPUT``), so a client learns its mistake at once and the database never sees
the query. Page sizes are REST's (``lucro.core.pagination``): one definition of both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from lucro.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, MIN_LIMIT

# The query text: 20 KB is many screens of fields; a bigger document is not a mobile app's.
MAX_QUERY_BYTES = 20_000
# The whole body: the query and its variables.
MAX_BODY_BYTES = 100_000
# Aliases let one request repeat a field; 30 covers a screen's worth of distinct lists.
MAX_ALIASES = 30
# Rows a request may ask for in all: a page of 500 under a page of 20 is 10 000 nodes.
MAX_NODES = 10_000
# Distinct query texts whose parsed and validated documents are kept, per process.
CACHED_DOCUMENTS = 256
# The fields that return a connection (a page of rows, ``first`` of them, default 50).
CONNECTION_FIELDS = frozenset({"accounts", "transactions", "rules", "budgets", "alerts"})


def page_size_problem(first: int | None) -> str | None:
    """Return why ``first`` is not an accepted page size, or None."""
    if first is None or MIN_LIMIT <= first <= MAX_LIMIT:
        return None
    return f"first must be an integer from {MIN_LIMIT} to {MAX_LIMIT}."


@functools.cache
def _rules(max_depth: int, introspection: bool) -> tuple[type[ASTValidationRule], ...]:
    # The same rule classes for the same settings: the validation cache's key holds them,
    # so a query a client sends again is not validated again.
    rules: list[type[ASTValidationRule]] = [
        depth_validator(max_depth, None),
        aliases_validator(MAX_ALIASES),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


class Limits(AddValidationRules):
    """The depth and alias limits of the current settings, and introspection off unless
    ``GRAPHQL_INTROSPECTION``."""

    def __init__(self) -> None:
        rules = _rules(settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_INTROSPECTION)
        super().__init__(list(rules))


def extensions() -> list[Any]:
    """Return the schema extensions (factories: each request gets fresh ones): the limits,
    and caches of parsed and validated documents (a mobile app sends the same few queries
    again and again; 256 distinct texts each, bounded)."""
    return [
        Limits,
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
    ]


def requested_nodes(
    document: DocumentNode, variables: Mapping[str, Any] | None, operation_name: str | None
) -> int:
    """Return how many rows the operation(s) of ``document`` can fetch at most: each
    connection's ``first`` times the ``first`` of the connections above it, summed."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _Walker(fragments, variables or {})
    total = 0
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name and (definition.name is None or definition.name.value != operation_name):
            continue
        total += walker.count(definition.selection_set, 1, ())
    return total


class _Walker:
    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables

    def first(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            raw: Any = None
            if isinstance(value, IntValueNode):
                raw = value.value
            elif isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
            try:
                return max(int(raw), 0)
            except (TypeError, ValueError):
                return DEFAULT_LIMIT  # refused by the field's own check or the types
        return DEFAULT_LIMIT

    def count(
        self, selections: SelectionSetNode | None, multiplier: int, spreads: tuple[str, ...]
    ) -> int:
        if selections is None:
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                below = multiplier
                if node.name.value in CONNECTION_FIELDS:
                    below = multiplier * self.first(node)
                    total += below
                total += self.count(node.selection_set, below, spreads)
            elif isinstance(node, InlineFragmentNode):
                total += self.count(node.selection_set, multiplier, spreads)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                # A fragment that spreads itself is refused by validation; not counted twice.
                if fragment is not None and name not in spreads:
                    total += self.count(fragment.selection_set, multiplier, (*spreads, name))
        return total
