"""Output shapes of the report endpoints, for the OpenAPI schema (views build plain dicts)."""

from __future__ import annotations

from rest_framework import serializers

from lucro.taxonomy.serializers import CategorySlugField


class DateRangeSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class MetricsSerializer(serializers.Serializer):
    total_transactions = serializers.IntegerField()
    total_spend = serializers.CharField(help_text="Decimal string, positive: money out.")
    total_income = serializers.CharField(help_text="Decimal string.")
    net = serializers.CharField(help_text="total_income − total_spend, decimal string.")


class TopCategorySerializer(serializers.Serializer):
    category = serializers.CharField()
    slug = serializers.CharField()
    total_spend = serializers.CharField()
    transaction_count = serializers.IntegerField()


class ProcessingStatusSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    processing = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()


class AccountSummarySerializer(serializers.Serializer):
    account_id = serializers.CharField()
    currency = serializers.CharField(allow_null=True)
    date_range = DateRangeSerializer()
    metrics = MetricsSerializer()
    top_categories = TopCategorySerializer(many=True)
    processing_status = ProcessingStatusSerializer()


class CategoryBreakdownItemSerializer(serializers.Serializer):
    category = serializers.CharField(allow_null=True, help_text="null: uncategorised.")
    slug = serializers.CharField(allow_null=True)
    total_spend = serializers.CharField()
    total_income = serializers.CharField()
    transaction_count = serializers.IntegerField()
    share_of_spend = serializers.CharField(help_text="Fraction of total spend, 4 places.")


class CategoryBreakdownSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    currency = serializers.CharField(allow_null=True)
    date_range = DateRangeSerializer()
    level = serializers.ChoiceField(choices=["primary", "detailed"])
    metrics = MetricsSerializer()
    categories = CategoryBreakdownItemSerializer(many=True)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    spend = serializers.CharField()
    income = serializers.CharField()
    net = serializers.CharField()
    transaction_count = serializers.IntegerField()


class TimeseriesSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    currency = serializers.CharField(allow_null=True)
    date_range = DateRangeSerializer()
    interval = serializers.ChoiceField(choices=["day", "week", "month"])
    series = PeriodSerializer(many=True)


class CurrencySummarySerializer(serializers.Serializer):
    currency = serializers.CharField(allow_null=True)
    accounts = serializers.IntegerField()
    metrics = MetricsSerializer()
    top_categories = TopCategorySerializer(many=True)
    processing_status = ProcessingStatusSerializer()


class OrganizationSummarySerializer(serializers.Serializer):
    date_range = DateRangeSerializer()
    currencies = CurrencySummarySerializer(many=True)


class PrimaryCategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class TransactionCategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    primary = PrimaryCategorySerializer()


class TransactionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    transaction_id = serializers.CharField()
    account_id = serializers.CharField()
    batch_id = serializers.UUIDField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    date = serializers.DateField()
    authorized_date = serializers.DateField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    merchant_name = serializers.CharField(allow_null=True)
    payment_channel = serializers.CharField(allow_null=True)
    pending = serializers.BooleanField()
    ingestion_status = serializers.CharField()
    category = TransactionCategorySerializer(allow_null=True)
    category_source = serializers.CharField()
    category_confidence = serializers.FloatField(allow_null=True)
    failure_reason = serializers.CharField(allow_null=True)


class TransactionPageSerializer(serializers.Serializer):
    results = TransactionSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class CategoryPatchSerializer(serializers.Serializer):
    """The body of PATCH /transactions/<id>/ (schema only; reports.services parses it)."""

    category = CategorySlugField(
        allow_null=True, help_text="A category slug, or null to clear the category."
    )

    # This PATCH sets the one field it takes, which must be sent: it is not a partial update,
    # but drf-spectacular marks every PATCH body partial (nothing required) by setting this.
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass
