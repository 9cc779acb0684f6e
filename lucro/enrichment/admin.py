from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lucro.enrichment.models import MerchantMemory, Rule
from lucro.enrichment.patterns import PatternRefused, rule_pattern_check
from lucro.enrichment.rules_version import rules_version_bump
from lucro.taxonomy.models import Category


class RuleAdminForm(forms.ModelForm):
    """Checks a rule's pattern as the API does, so a bad regex is a form error, not a 500."""

    class Meta:
        model = Rule
        fields = (
            "organization",
            "category",
            "pattern",
            "field",
            "match_type",
            "direction",
            "priority",
            "is_active",
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        pattern, match_type = cleaned.get("pattern"), cleaned.get("match_type")
        # As in the API, only when the pattern or the match type changes: a rule stored
        # before a limit existed can still be deactivated or re-prioritised.
        changed = {"pattern", "match_type"} & set(self.changed_data)
        if changed and pattern and match_type:
            try:
                rule_pattern_check(pattern, match_type)
            except PatternRefused as exc:
                self.add_error("pattern", str(exc))
        return cleaned


class RuleInline(admin.TabularInline):
    model = Rule
    form = RuleAdminForm
    extra = 0
    fields = (
        "pattern",
        "field",
        "match_type",
        "direction",
        "priority",
        "is_active",
        "organization",
    )
    autocomplete_fields = ("organization",)
    show_change_link = True


# Category is the taxonomy app's model, but its admin page lives here: it edits the
# category's rules inline and bumps the rule-set version, both enrichment's (the taxonomy
# layer sits below enrichment and must not import it).
@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "code", "parent")
    list_select_related = ("parent",)
    list_filter = (("parent", admin.EmptyFieldListFilter),)
    search_fields = ("name", "slug", "code")
    readonly_fields = ("id",)
    inlines = (RuleInline,)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Rule and (
            formset.new_objects or formset.changed_objects or formset.deleted_objects
        ):
            # Workers compare this version before each chunk: the change applies at once.
            rules_version_bump()


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Every write bumps the rule-set version, so workers rebuild their matcher."""

    form = RuleAdminForm
    list_display = (
        "pattern",
        "category",
        "field",
        "match_type",
        "direction",
        "priority",
        "is_active",
        "organization",
    )
    list_filter = (
        "is_active",
        "match_type",
        "field",
        "direction",
        ("organization", admin.EmptyFieldListFilter),
    )
    list_select_related = ("category", "organization")
    search_fields = ("pattern", "category__name", "category__slug")
    autocomplete_fields = ("category", "organization")
    readonly_fields = ("id", "created_at", "updated_at")
    list_editable = ("is_active", "priority")

    def save_model(self, request: HttpRequest, obj: Rule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        rules_version_bump()

    def delete_model(self, request: HttpRequest, obj: Rule) -> None:
        super().delete_model(request, obj)
        rules_version_bump()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Rule]) -> None:
        super().delete_queryset(request, queryset)
        rules_version_bump()


@admin.register(MerchantMemory)
class MerchantMemoryAdmin(admin.ModelAdmin):
    """What each organization's corrections taught, read-only: only corrections write it."""

    list_display = ("key", "direction", "category", "corrections", "total", "organization")
    list_filter = ("direction",)
    list_select_related = ("category", "organization")
    search_fields = ("key", "organization__name")

    # The memory is counted by conditional updates as corrections arrive; an edit here would
    # bypass its version (workers would not reload) and its counts' meaning.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
