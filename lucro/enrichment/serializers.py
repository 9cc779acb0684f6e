"""Small input and output serializers, one pair per operation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from lucro.core.fields import IsoDateField
from lucro.core.openapi import AmountField
from lucro.core.serializers import StrictJsonSerializer
from lucro.enrichment.models import Rule
from lucro.enrichment.patterns import PatternRefused, rule_pattern_check
from lucro.ingestion.serializers import (
    BatchScopeSerializer,
    LinksSerializer,
    transaction_text_field,
)
from lucro.taxonomy.models import Category
from lucro.taxonomy.serializers import CategorySlugField


class CategoryBriefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class CategoryOutSerializer(serializers.Serializer):
    slug = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    description = serializers.CharField()
    primary = serializers.SerializerMethodField()

    @extend_schema_field(CategoryBriefSerializer(allow_null=True))
    def get_primary(self, category: Category) -> dict[str, str] | None:
        parent = category.parent
        return None if parent is None else {"slug": parent.slug, "name": parent.name}


class CategoryListOutSerializer(serializers.Serializer):
    results = CategoryOutSerializer(many=True)


class RuleOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    scope = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    pattern = serializers.CharField()
    field = serializers.ChoiceField(choices=Rule.Field.choices)
    match_type = serializers.ChoiceField(choices=Rule.MatchType.choices)
    direction = serializers.ChoiceField(choices=Rule.Direction.choices)
    priority = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "enum": ["global", "organization"]})
    def get_scope(self, rule: Rule) -> str:
        return "global" if rule.organization_id is None else "organization"

    @extend_schema_field(CategoryBriefSerializer)
    def get_category(self, rule: Rule) -> dict[str, str]:
        return {"slug": rule.category.slug, "name": rule.category.name}


class RuleListOutSerializer(serializers.Serializer):
    results = RuleOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")


class RuleInSerializer(StrictJsonSerializer):
    category = CategorySlugField()
    pattern = serializers.CharField(
        max_length=settings.RULE_PATTERN_MAX_LENGTH,
        trim_whitespace=True,
        error_messages={"max_length": "At most {max_length} characters (RULE_PATTERN_MAX_LENGTH)."},
        help_text="The text to look for (case-insensitive); with match_type regex, an RE2 "
        "regular expression searched anywhere in the text (see docs/enrichment.md).",
    )
    field = serializers.ChoiceField(choices=Rule.Field.choices, default=Rule.Field.EITHER)
    match_type = serializers.ChoiceField(
        choices=Rule.MatchType.choices, default=Rule.MatchType.CONTAINS
    )
    direction = serializers.ChoiceField(
        choices=[*Rule.Direction.choices, ("", "Any")], default=Rule.Direction.ANY, allow_null=True
    )
    priority = serializers.IntegerField(min_value=-1000, max_value=1000, default=50)
    is_active = serializers.BooleanField(default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Only a write that sets the pattern or the match type is checked: a rule stored
        # before a limit existed can still be deactivated or re-prioritised.
        if "pattern" in attrs or "match_type" in attrs:
            match_type = attrs.get("match_type", getattr(self.instance, "match_type", None))
            pattern = attrs.get("pattern", getattr(self.instance, "pattern", ""))
            try:
                rule_pattern_check(pattern, match_type or Rule.MatchType.CONTAINS)
            except PatternRefused as exc:
                raise serializers.ValidationError({"pattern": str(exc)}) from exc
        if not attrs.get("direction", "any"):
            attrs["direction"] = Rule.Direction.ANY
        return attrs


class RuleTestInSerializer(StrictJsonSerializer):
    # No longer than an ingested transaction's texts can be: the test runs the same rules.
    description = transaction_text_field()
    merchant_name = transaction_text_field()
    amount = AmountField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("description") and not attrs.get("merchant_name"):
            raise serializers.ValidationError("Send a description or a merchant_name.")
        return attrs


class RuleTestOutSerializer(serializers.Serializer):
    matched = serializers.BooleanField()
    rule = RuleOutSerializer(allow_null=True)
    category = CategoryBriefSerializer(allow_null=True)


class RetryOutSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    requeued = serializers.IntegerField()
    links = serializers.DictField(child=serializers.CharField())


class RerunInSerializer(StrictJsonSerializer):
    account_ids = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        allow_empty=False,
        min_length=1,  # what allow_empty=False says, in a form the schema states (minItems)
        max_length=10_000,
        help_text="Your account ids; omitted: every account. An unknown id is a 400.",
    )
    start_date = IsoDateField(required=False)
    end_date = IsoDateField(required=False)
    only_uncategorised = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"start_date": "Must not be after end_date."})
        return attrs


class RerunOutSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField(help_text="The job: follow `links.self` for its progress.")
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "processing", "completed", "failed"])
    total_transactions = serializers.IntegerField(
        allow_null=True,
        help_text="Null: the workers select the rows in chunks after this answer; the job's "
        "status document gives the total once the selection is over.",
    )
    scope = BatchScopeSerializer()
    links = LinksSerializer()


RerunConflictSerializer = inline_serializer(
    name="RerunConflictProblem",
    fields={
        "type": serializers.URLField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "batch_id": serializers.UUIDField(help_text="The running re-run that overlaps."),
        "links": inline_serializer(
            name="RerunConflictLinks", fields={"batch": serializers.CharField()}
        ),
    },
)
