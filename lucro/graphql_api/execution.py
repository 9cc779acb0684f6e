"""A faster path through graphql-core's executor for plain fields read off REST documents.

graphql-core resolves every field of every object alike: a response path, a resolve info
(a 16-field object), the resolver, an awaitable check, then ``complete_value`` down to the
scalar's coercion. A page of 100 transactions with their category and account is ≈ 2 100
fields, ≈ 1 700 of them plain scalars read off a REST document (strawberry's basic fields:
no resolver of their own, no arguments, no info needed): measured, that generic path was
about half of the request's time.

``LeafFastExecutionContext`` keeps graphql-core's executor and changes one step: for each
selection set it works out once which fields are plain — strawberry's basic fields of a
scalar or enum, of a concrete object type, or of a list of such objects, and resolver
fields whose metadata names the document key holding their answer (``DOCUMENT_KEY``) —
and reads them directly: a REST document's value by key (what ``document_resolver`` does),
a scalar coerced by the same ``coerce_output_value``, an object's and a list's items'
sub-fields executed the same way, errors below them handled where graphql-core handles
them. Anything unusual — a null in a non-null field, a value the scalar refuses, a
resolver that raises, a list that is not of documents, anything deferred — is handed back
to graphql-core's own ``execute_field``, which runs the field again the ordinary way and
reports the error exactly as it would have (a basic field's read has no side effect).
Fields with a resolver of their own or arguments, and every field when a resolve
middleware is installed, take the ordinary path.

Written here rather than found: graphql-core has no such fast path, and no maintained
compiled executor for Python exists (graphql-core's own docs point at the generic one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from graphql import (
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (response name, field details, kind, resolver, the field's type unwrapped, nullable, the
# key of the field in a REST document, whether only a document holding the key takes the
# fast path); kind None: the ordinary path.
_Step = tuple[str, Any, str | None, Callable[..., Any] | None, Any, bool, str, bool]
_LEAF, _OBJECT, _LIST = "leaf", "object", "list"
_FALLBACK = object()  # a step the fast path leaves to graphql-core
# Scalars whose coercion of a str is the str itself (graphql-core's serialize_string/_id).
_TEXT = (GraphQLString, GraphQLID)
_DEFINITION = "strawberry-definition"  # strawberry's GraphQLField → StrawberryField link
# A resolver field's metadata key naming the document key that, when a document holds it,
# is the field's answer (the resolver answers the same from it): read directly here.
DOCUMENT_KEY = "lucro-document-key"


def _plain_object(named: Any) -> bool:
    return isinstance(named, GraphQLObjectType) and named.is_type_of is None


def _kind(return_type: GraphQLOutputType) -> tuple[str | None, Any, bool]:
    """Return (kind, named type, nullable) of a field's type: a scalar or enum (leaf), a
    concrete object type without ``is_type_of`` or a list of them (its items' type, as the
    named type), possibly non-null; else kind None."""
    nullable = True
    if isinstance(return_type, GraphQLNonNull):
        return_type, nullable = return_type.of_type, False
    if is_leaf_type(return_type):
        return _LEAF, return_type, nullable
    if _plain_object(return_type):
        return _OBJECT, return_type, nullable
    if isinstance(return_type, GraphQLList):
        item = return_type.of_type
        if _plain_object(item.of_type if isinstance(item, GraphQLNonNull) else item):
            return _LIST, item, nullable
    return None, return_type, nullable


class LeafFastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with plain scalar, object and list fields read directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) → (the set, kept so that its id is not reused; its steps).
        # graphql-core collects a selection's fields once per request (memoized), so the
        # 100 nodes of a page share one plan.
        self._plans: dict[int, tuple[Any, list[_Step], bool]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[_Step]:
        steps: list[_Step] = []
        fields = parent_type.fields
        # strawberry builds a manager on every request, empty unless an extension resolves.
        plain = not getattr(self.middleware_manager, "middlewares", None)
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = fields.get(node.name.value)
            kind, named, nullable = (
                (None, None, True) if field_def is None else _kind(field_def.type)
            )
            resolve = getattr(field_def, "resolve", None)
            definition = field_def.extensions.get(_DEFINITION) if field_def else None
            key = getattr(definition, "python_name", "")
            shortcut = (getattr(definition, "metadata", None) or {}).get(DOCUMENT_KEY)
            simple = plain and not node.arguments and not getattr(field_def, "args", None)
            if shortcut and simple:
                key = shortcut
            elif not (simple and getattr(resolve, "_is_default", False)):  # a basic field
                kind = None
            only = bool(shortcut)
            steps.append(
                (response_name, field_details_list, kind, resolve, named, nullable, key, only)
            )
        return steps

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any = None,
    ) -> Any:
        planned = self._plans.get(id(grouped_field_set))
        if planned is None or planned[0] is not grouped_field_set:
            steps = self._plan(parent_type, grouped_field_set)
            planned = (grouped_field_set, steps, any(step[2] is not None for step in steps))
            self._plans[id(grouped_field_set)] = planned
        _, steps, fast = planned
        if not fast:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        waiting: list[str] = []
        ordinary: dict[str, Any] = {}
        # A REST document: what strawberry's basic field reads through schema.document_resolver
        # (three calls deep), read here directly.
        document = source_value if type(source_value) is dict else None
        for response_name, field_details_list, kind, resolve, named, nullable, key, only in steps:
            if only and (document is None or key not in document):
                ordinary[response_name] = field_details_list
                continue
            if kind is not None:
                if document is not None:
                    value = document.get(key)
                else:
                    try:
                        value = resolve(source_value, None)  # type: ignore[misc]
                    except Exception:
                        value = Undefined  # the ordinary path runs it again and reports it
                if value is None:
                    if nullable:
                        results[response_name] = None
                        continue
                elif value is Undefined or isinstance(value, Exception):
                    pass
                elif kind is _LEAF:
                    if type(value) is str and named in _TEXT:
                        results[response_name] = value
                        continue
                    try:
                        coerced = named.coerce_output_value(value)
                    except Exception:
                        coerced = None  # refused: reported by the ordinary path
                    if coerced is not None and coerced is not Undefined:
                        results[response_name] = coerced
                        continue
                elif kind is _LIST:
                    if type(value) is list and all(type(item) is dict for item in value):
                        sub = self._list(
                            named, field_details_list, path, response_name, parent_type, value,
                            nullable, position_context,
                        )  # fmt: skip
                        if sub is not _FALLBACK:
                            results[response_name] = sub
                            if sub is not None and type(sub) is not list:
                                waiting.append(response_name)  # an awaitable
                            continue
                else:
                    sub = results[response_name] = self._object(
                        named, field_details_list, path, response_name, parent_type, value,
                        nullable, position_context,
                    )  # fmt: skip
                    if type(sub) is not dict and self.is_awaitable(sub):
                        waiting.append(response_name)
                    continue
            ordinary[response_name] = field_details_list
        rest: Any = {}
        if ordinary:
            # The rest (and any field above whose error must be reported) the ordinary
            # way, in one call: awaitables and errors handled as graphql-core does.
            rest = super().execute_fields(
                parent_type, source_value, path, ordinary, position_context
            )
        if waiting or self.is_awaitable(rest):

            async def merged() -> dict[str, Any]:
                for name in waiting:
                    results[name] = await results[name]
                done = await rest if self.is_awaitable(rest) else rest
                return _merged(grouped_field_set, results, done)

            return merged()
        if not ordinary:
            return results
        return _merged(grouped_field_set, results, cast(dict[str, Any], rest))

    def _list(
        self,
        item_type: Any,
        field_details_list: Any,
        path: Path | None,
        response_name: str,
        parent_type: GraphQLObjectType,
        items: list[dict[str, Any]],
        nullable: bool,
        position_context: Any,
    ) -> Any:
        """Complete a list of REST documents of a plain object type as ``execute_field``
        and ``complete_list_value`` would: each item's sub-fields, an error below an item
        handled at the item (null there if it may be), and one it raises on handled at this
        field. ``_FALLBACK`` (nothing done): anything deferred, left to graphql-core."""
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        grouped, defers, _ = self.collect_subfields(object_type, field_details_list)
        if defers or position_context is not None:
            return _FALLBACK
        field_path = Path(path, response_name, parent_type.name)
        list_type = GraphQLList(item_type)
        field_type = list_type if nullable else GraphQLNonNull(list_type)
        out: list[Any] = []
        waiting: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = field_path.add_key(index, None)
                try:
                    sub = self.execute_fields(object_type, item, item_path, grouped, None)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    sub = None
                if sub is not None and type(sub) is not dict and self.is_awaitable(sub):
                    waiting.append(index)
                out.append(sub)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_type, field_details_list, field_path)
            return None
        if not waiting:
            return out

        async def awaited() -> Any:
            try:
                for index in waiting:
                    try:
                        out[index] = await out[index]
                    except Exception as raw_error:
                        item_path = field_path.add_key(index, None)
                        self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                        out[index] = None
            except Exception as raw_error:
                self.handle_field_error(raw_error, field_type, field_details_list, field_path)
                return None
            return out

        return awaited()

    def _object(
        self,
        object_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path | None,
        response_name: str,
        parent_type: GraphQLObjectType,
        value: Any,
        nullable: bool,
        position_context: Any,
    ) -> Any:
        """Complete an object value as ``execute_field`` would: its sub-fields, and an
        error below it handled at this field (null here if it may be, else raised on)."""
        field_path = Path(path, response_name, parent_type.name)
        try:
            grouped, defers, _ = self.collect_subfields(object_type, field_details_list)
            if defers or position_context is not None:  # @defer: graphql-core's own way
                sub = self.execute_collected_subfields(
                    object_type, value, field_path, grouped, defers, position_context
                )
            else:  # what execute_collected_subfields does then, called directly
                sub = self.execute_fields(object_type, value, field_path, grouped, None)
        except Exception as raw_error:
            field_type = object_type if nullable else GraphQLNonNull(object_type)
            self.handle_field_error(raw_error, field_type, field_details_list, field_path)
            return None
        if type(sub) is dict or not self.is_awaitable(sub):
            return sub
        field_type = object_type if nullable else GraphQLNonNull(object_type)

        async def awaited() -> Any:
            try:
                return await sub
            except Exception as raw_error:
                self.handle_field_error(raw_error, field_type, field_details_list, field_path)
                return None

        return awaited()


def _merged(order: Any, fast: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any]:
    """Both parts' answers in the selection's order (a field graphql-core left out stays
    out)."""
    merged: dict[str, Any] = {}
    for name in order:
        if name in fast:
            merged[name] = fast[name]
        elif name in rest:
            merged[name] = rest[name]
    return merged
