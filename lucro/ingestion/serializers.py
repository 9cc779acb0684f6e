"""Request/response shapes for the OpenAPI schema.

The ingestion body is parsed by ``payload`` (msgspec) for speed; its request serializers
are generated here from the same field tables (``contract``), so the schema says exactly
what ``payload`` checks: required fields, lengths, currency codes, the date forms, the
batch size. They are never on the hot path.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lucro.core.openapi import AmountField
from lucro.ingestion.contract import (
    ACCOUNT_FIELDS,
    ACCOUNT_NUMBER_PATTERN,
    BATCH_FIELDS,
    CURRENCIES,
    DATE_SCHEMA,
    NOT_BLANK,
    TRANSACTION_FIELDS,
    Field,
    Kind,
    field_named,
)


@extend_schema_field(DATE_SCHEMA)
class IngestDateField(serializers.CharField):
    """A transaction date as the ingestion payload accepts it (schema only)."""


@extend_schema_field({"type": "string", "enum": CURRENCIES})
class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code Lucro knows (schema only; its enum without a line per code)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CURRENCIES, **kwargs)


# The serializer of each list kind's items (accounts, transactions).
_Items = dict[Kind, type[serializers.Serializer]]


def contract_field(field: Field, items: _Items | None = None) -> Any:
    """Return the serializer field that documents ``field`` of the ingestion contract."""
    kind = field.kind
    common: dict[str, Any] = {"help_text": field.description or None}
    if not field.required:
        # Optional fields of the contract are nullable: null is read as absent.
        common.update(required=False, allow_null=True)
    if kind is Kind.TEXT or kind is Kind.KEY:
        max_length = field.max_length(settings.INGEST_MAX_STRING_LENGTH)
        if field.required or kind is Kind.KEY:
            # payload refuses a blank required text, and a blank key.
            return serializers.RegexField(NOT_BLANK, max_length=max_length, **common)
        # An optional text may be empty (payload checks only that required ones are not).
        return serializers.CharField(max_length=max_length, allow_blank=True, **common)
    if kind is Kind.CURRENCY:
        return CurrencyField(**common)
    if kind is Kind.AMOUNT:
        return AmountField(**common)
    if kind is Kind.DATE:
        return IngestDateField(**common)
    if kind is Kind.BOOLEAN:
        if field.default is not None:
            common["default"] = field.default
        return serializers.BooleanField(**common)
    if kind is Kind.INTEGER:
        return serializers.IntegerField(**common)
    if kind is Kind.ACCOUNT_NUMBER:
        return serializers.RegexField(ACCOUNT_NUMBER_PATTERN, **common)
    assert items is not None
    if kind is Kind.ACCOUNTS:
        return items[kind](many=True, **common)
    # A list field, not many=True: only ListField carries the minItems/maxItems bounds.
    return serializers.ListField(
        child=items[kind](),
        min_length=1,
        max_length=settings.INGEST_MAX_TRANSACTIONS,
        **common,
    )


def _contract_serializer(
    name: str, fields: tuple[Field, ...], items: _Items | None = None
) -> type[serializers.Serializer]:
    """Return a serializer class ``name`` with one field per entry of ``fields``.

    The class name is the schema component's (drf-spectacular drops ``Serializer`` and
    adds ``Request``): AccountInRequest, TransactionInRequest, IngestRequestRequest.
    """
    # Serializers rather than a schema dict: drf-spectacular makes named components of
    # them, and bench/ingest.py's reference path validates with TransactionInSerializer.
    declared = {field.name: contract_field(field, items) for field in fields}
    return type(name, (serializers.Serializer,), {"__module__": __name__, **declared})


AccountInSerializer = _contract_serializer("AccountInSerializer", ACCOUNT_FIELDS)
TransactionInSerializer = _contract_serializer("TransactionInSerializer", TRANSACTION_FIELDS)
IngestRequestSerializer = _contract_serializer(
    "IngestRequestSerializer",
    BATCH_FIELDS,
    {Kind.ACCOUNTS: AccountInSerializer, Kind.TRANSACTIONS: TransactionInSerializer},
)


def transaction_text_field() -> serializers.CharField:
    """Return the field of a transaction's optional text (a name, a merchant)."""
    field = contract_field(field_named(TRANSACTION_FIELDS, "name"))
    assert isinstance(field, serializers.CharField)
    return field


class LinksSerializer(serializers.Serializer):
    self = serializers.CharField()


class IngestResponseSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["pending", "processing", "completed", "failed"])
    request_id = serializers.CharField(allow_null=True)
    total_transactions = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    deleted = serializers.IntegerField(
        help_text="Transactions re-sent after a person deleted them (or their account): "
        "left deleted, not stored again."
    )
    links = LinksSerializer()


class StatusCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    processing = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()


class BatchScopeSerializer(serializers.Serializer):
    """What a re-run covers, as it was asked for (null bounds: unbounded)."""

    account_ids = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Null: every account."
    )
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    only_uncategorised = serializers.BooleanField()


class BatchDetailSerializer(IngestResponseSerializer):
    kind = serializers.CharField()
    total_transactions = serializers.IntegerField(
        allow_null=True,
        help_text="Null while a re-run is still selecting its rows (then `status` is not final).",
    )
    scope = BatchScopeSerializer(allow_null=True, help_text="A re-run's filters; null for ingest.")
    counts = StatusCountsSerializer()
    received_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
