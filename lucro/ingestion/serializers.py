"""Request/response shapes for the OpenAPI schema.

The ingestion body is parsed by ``payload`` (msgspec) for speed; these serializers describe
it in the schema and are never on the hot path. They say what ``payload`` checks: required
fields, lengths, currency codes, the date forms, the batch size.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lucro.core.currencies import MINOR_UNITS
from lucro.core.openapi import DATE_PATTERN, AmountField
from lucro.core.params import DATE_MAX, DATE_MIN

CURRENCIES = sorted(MINOR_UNITS)
# payload rejects blank strings where a value is required.
_NOT_BLANK = r"\S"


@extend_schema_field(
    {
        "type": "string",
        "anyOf": [{"format": "date", "pattern": DATE_PATTERN}, {"format": "date-time"}],
        "description": (
            f"YYYY-MM-DD or an RFC 3339 date-time (its UTC date is kept), "
            f"between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}."
        ),
    }
)
def transaction_text_field() -> serializers.CharField:
    """Return the field of a transaction's optional text (a name, a merchant)."""
    return serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=settings.INGEST_MAX_STRING_LENGTH,
    )


class IngestDateField(serializers.CharField):
    """A transaction date as the ingestion payload accepts it (schema only)."""


@extend_schema_field({"type": "string", "enum": CURRENCIES})
class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code Lucro knows (schema only; its enum without a line per code)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CURRENCIES, **kwargs)


class AccountInSerializer(serializers.Serializer):
    account_id = serializers.RegexField(_NOT_BLANK, max_length=255)
    name = serializers.RegexField(_NOT_BLANK, max_length=255)
    type = serializers.RegexField(_NOT_BLANK, max_length=64)
    # Optional strings may be empty (payload checks only that required ones are not blank).
    subtype = serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )
    mask = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
    iso_currency_code = CurrencyField(
        required=False,
        allow_null=True,
        help_text="ISO 4217; when absent, the first transaction's currency.",
    )


class TransactionInSerializer(serializers.Serializer):
    transaction_id = serializers.RegexField(_NOT_BLANK, max_length=255)
    account_id = serializers.RegexField(
        _NOT_BLANK, max_length=255, help_text="An account of this batch or an earlier one."
    )
    amount = AmountField(
        help_text=(
            "Non-zero; negative is money out. A JSON number or a decimal string, with no more "
            "decimal places than the currency has."
        )
    )
    iso_currency_code = CurrencyField()
    date = IngestDateField()
    authorized_date = IngestDateField(required=False, allow_null=True)
    name = transaction_text_field()
    merchant_name = transaction_text_field()
    payment_channel = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=64
    )
    pending = serializers.BooleanField(required=False, allow_null=True, default=False)


class IngestRequestSerializer(serializers.Serializer):
    accounts = AccountInSerializer(
        many=True, help_text="The accounts the transactions name (may be empty if known)."
    )
    transactions = serializers.ListField(
        child=TransactionInSerializer(),
        min_length=1,
        max_length=settings.INGEST_MAX_TRANSACTIONS,
        help_text="More than INGEST_MAX_TRANSACTIONS is a 413.",
    )
    total_transactions = serializers.IntegerField(
        required=False, allow_null=True, help_text="If sent, the length of transactions."
    )
    request_id = serializers.RegexField(
        _NOT_BLANK,
        required=False,
        allow_null=True,
        max_length=255,
        help_text="Idempotency key (or the Idempotency-Key header; both must then agree).",
    )


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
