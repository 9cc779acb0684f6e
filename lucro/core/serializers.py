"""Request serializers that take a JSON body's types as the OpenAPI schema states them.

DRF's fields coerce: a CharField takes ``0`` as ``"0"``, a BooleanField takes ``0``, ``"yes"``
or ``"true"``, an IntegerField takes ``"50"``. The schema generated from the same fields says
string, boolean, integer; a client that trusts it must not find a request the schema forbids
being accepted, so request bodies refuse those coercions with a pointer to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rest_framework import serializers


def json_type_error(field: serializers.Field, value: Any) -> Any:
    """Return DRF error detail if ``value`` is not of the JSON type ``field`` documents."""
    if value is None:
        return None  # the field's own allow_null decides
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
        expected = "true or false"
    elif isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "an integer"
    elif isinstance(field, serializers.DecimalField):
        # Documented as a JSON number (a Decimal, behind DecimalJSONParser) or a decimal
        # string.
        ok = isinstance(value, int | float | Decimal | str) and not isinstance(value, bool)
        expected = "a number or a decimal string"
    elif isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return ["Must be a list."]
        items = {
            index: error
            for index, item in enumerate(value)
            if (error := json_type_error(field.child, item)) is not None
        }
        return items or None
    elif isinstance(
        field, serializers.CharField | serializers.ChoiceField | serializers.RelatedField
    ):
        # (DateField refuses a non-string itself, with its own message.)
        ok = isinstance(value, str)
        expected = "a string"
    else:
        return None
    return None if ok else [f"Must be {expected}."]


class StrictJsonSerializer(serializers.Serializer):
    """A request body serializer that refuses values of another JSON type than documented."""

    def to_internal_value(self, data: Any) -> Any:
        type_errors: dict[str, Any] = {}
        if isinstance(data, Mapping):
            for field in self._writable_fields:
                name = field.field_name
                if name is not None and name in data:
                    error = json_type_error(field, data[name])
                    if error is not None:
                        type_errors[name] = error
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # One answer lists every problem: the type errors win over DRF's for a field.
            if type_errors and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **type_errors}) from exc
            raise
        if type_errors:
            raise serializers.ValidationError(type_errors)
        return value
