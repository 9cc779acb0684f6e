"""Operators' view of budgets and their alerts, read-only: people change budgets over the
API, whose validation, audit log and alert evaluation an admin form would bypass (an
amount of 0 saved here would make every status a division by zero)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lucro.budgets.models import Alert, Budget
from lucro.core.currencies import money_display


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "category", "period", "money", "starts_on")
    list_filter = ("period", "currency")
    search_fields = ("name", "organization__name")
    list_select_related = ("organization", "category")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="amount", ordering="amount")
    def money(self, budget: Budget) -> str:
        return money_display(budget.amount, budget.currency)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("budget", "period_start", "period_end", "threshold", "money", "created_at")
    list_filter = ("read_at",)
    search_fields = ("budget__name",)
    list_select_related = ("budget",)

    @admin.display(description="spent", ordering="spent")
    def money(self, alert: Alert) -> str:
        return money_display(alert.spent, alert.currency)

    # Made by evaluations only (exactly one per budget, period and threshold).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
