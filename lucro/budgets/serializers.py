"""The budget and alert APIs' bodies, validated at the edge (problem+json pointers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lucro.budgets.models import Budget
from lucro.core.currencies import format_money, minor_units
from lucro.core.fields import IsoDateField
from lucro.core.openapi import AmountField
from lucro.core.serializers import StrictJsonSerializer
from lucro.ingestion.models import Account
from lucro.taxonomy.serializers import CategorySlugField
from lucro.tenancy.models import Organization

MAX_THRESHOLDS = 10
MAX_ACCOUNTS = 100


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0.0001, "maximum": 10},
            {"type": "string", "pattern": r"^(10(\.0{1,4})?|[0-9](\.[0-9]{1,4})?)$"},
        ],
        "description": "A fraction of the amount: above 0, at most 10, at most 4 decimal "
        "places (0.8 is 80 %).",
    }
)
class ThresholdField(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=6,
            decimal_places=4,
            min_value=Decimal("0.0001"),
            max_value=Decimal(10),
            **kwargs,
        )


class BudgetInSerializer(StrictJsonSerializer):
    name = serializers.CharField(max_length=200, trim_whitespace=True)
    category = CategorySlugField(
        allow_null=True,
        required=False,
        help_text="A primary or a detailed category's slug; null (default): all spending, "
        "everything but income and transfers.",
    )
    accounts = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        max_length=MAX_ACCOUNTS,
        help_text="The accounts' ids (account_id); empty or absent: every account.",
    )
    period = serializers.ChoiceField(choices=Budget.Period.choices, default=Budget.Period.MONTHLY)
    amount = AmountField(
        min_value=Decimal("0.0001"),
        help_text="In the organization's base currency, at most its minor units.",
    )
    thresholds = serializers.ListField(
        child=ThresholdField(),
        required=False,
        min_length=1,
        max_length=MAX_THRESHOLDS,
        help_text="Fractions of the amount that raise an alert (default [0.8, 1.0]).",
    )
    starts_on = IsoDateField(
        required=False, help_text="The first period's first day (default: today, UTC)."
    )

    def __init__(self, *args: Any, organization: Organization | None = None, **kwargs: Any) -> None:
        # ``organization``: the caller's (accounts are looked up in it); None only when the
        # schema is generated.
        super().__init__(*args, **kwargs)
        self.organization = organization

    def validate_amount(self, value: Decimal) -> Decimal:
        assert self.organization is not None
        currency = (
            self.instance.currency if self.instance is not None else self.organization.base_currency
        )
        places = minor_units(currency) or 0
        if value != value.quantize(Decimal(1).scaleb(-places)):
            raise serializers.ValidationError(
                f"At most {places} decimal places: the budget is in {currency}."
            )
        return value

    def validate_thresholds(self, value: list[Decimal]) -> list[Decimal]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each threshold at most once.")
        return value

    def validate_accounts(self, value: list[str]) -> list[Account]:
        assert self.organization is not None
        found = {
            a.account_id: a
            for a in Account.objects.live().filter(
                organization=self.organization, account_id__in=value
            )
        }
        errors = {
            str(i): [f"No account {account_id!r} in this organization."]
            for i, account_id in enumerate(value)
            if account_id not in found
        }
        if errors:
            raise serializers.ValidationError(errors)
        return list({account_id: found[account_id] for account_id in value}.values())


class BudgetPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class BudgetOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    category = serializers.SerializerMethodField()
    accounts = serializers.SerializerMethodField()
    period = serializers.ChoiceField(choices=Budget.Period.choices)
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField()
    thresholds = serializers.SerializerMethodField()
    starts_on = serializers.DateField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_category(self, budget: Budget) -> str | None:
        return budget.category.slug if budget.category else None

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_accounts(self, budget: Budget) -> list[str]:
        return sorted(a.account_id for a in budget.accounts.all())

    @extend_schema_field({"type": "string", "example": "500.00"})
    def get_amount(self, budget: Budget) -> str:
        return format_money(budget.amount, budget.currency)

    @extend_schema_field({"type": "array", "items": {"type": "number"}})
    def get_thresholds(self, budget: Budget) -> list[float]:
        return [float(t) for t in budget.threshold_values]


class BudgetListOutSerializer(serializers.Serializer):
    results = BudgetOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")


class BudgetUnconvertedSerializer(serializers.Serializer):
    transaction_count = serializers.IntegerField()
    total = serializers.CharField()


class BudgetStatusSerializer(serializers.Serializer):
    period = BudgetPeriodSerializer()
    amount = serializers.CharField()
    spent = serializers.CharField(help_text="Money out minus refunds, never below zero.")
    remaining = serializers.CharField(help_text="amount − spent (negative: overspent).")
    percent = serializers.FloatField(help_text="spent ÷ amount × 100.")
    projected = serializers.CharField(help_text="spent, linearly, at the period's end.")
    thresholds_crossed = serializers.ListField(child=serializers.FloatField())
    currency = serializers.CharField()
    unconverted = serializers.DictField(
        child=BudgetUnconvertedSerializer(),
        help_text="Per currency, the rows of days without a rate (not in spent).",
    )


class AlertOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    budget = serializers.UUIDField()
    period = BudgetPeriodSerializer()
    threshold = serializers.FloatField()
    spent = serializers.CharField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class AlertListOutSerializer(serializers.Serializer):
    results = AlertOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")
