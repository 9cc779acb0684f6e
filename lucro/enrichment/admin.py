from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from lucro.enrichment.models import Category, Rule
from lucro.enrichment.rules_version import rules_version_bump


class RuleInline(admin.TabularInline):
    model = Rule
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
