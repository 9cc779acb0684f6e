"""Request/response shapes for the OpenAPI schema.

The ingestion body is parsed by ``payload`` (msgspec) for speed; these serializers describe
it in the schema and are never on the hot path.
"""

from __future__ import annotations

from rest_framework import serializers


class AccountInSerializer(serializers.Serializer):
    account_id = serializers.CharField(max_length=255)
    name = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=64)
    subtype = serializers.CharField(max_length=64, required=False, allow_null=True)
    mask = serializers.CharField(max_length=32, required=False, allow_null=True)
    iso_currency_code = serializers.CharField(
        min_length=3, max_length=3, required=False, allow_null=True
    )


class TransactionInSerializer(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=255)
    account_id = serializers.CharField(max_length=255)
    amount = serializers.DecimalField(
        max_digits=19, decimal_places=4, help_text="Negative is money out. Number or string."
    )
    iso_currency_code = serializers.CharField(min_length=3, max_length=3)
    date = serializers.CharField(help_text="ISO date or datetime")
    authorized_date = serializers.CharField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_null=True)
    merchant_name = serializers.CharField(required=False, allow_null=True)
    payment_channel = serializers.CharField(required=False, allow_null=True)
    pending = serializers.BooleanField(required=False, default=False)


class IngestRequestSerializer(serializers.Serializer):
    accounts = AccountInSerializer(many=True)
    transactions = TransactionInSerializer(many=True)
    total_transactions = serializers.IntegerField(required=False)
    request_id = serializers.CharField(required=False, max_length=255)


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
