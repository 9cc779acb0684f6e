from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from lucro.fx import services
from lucro.fx.contract import currency_problem, rate_parse
from lucro.fx.models import ExchangeRate


class ExchangeRateForm(forms.ModelForm):
    """An organization's own rate, checked as an upload is."""

    class Meta:
        model = ExchangeRate
        fields = ["organization", "date", "base", "quote", "rate"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "organization" in self.fields:
            # Shared rates come from the ECB, never from a form.
            self.fields["organization"].required = True

    def clean_base(self) -> str:
        return self._currency("base")

    def clean_quote(self) -> str:
        return self._currency("quote")

    def _currency(self, name: str) -> str:
        value = self.cleaned_data[name]
        problem = currency_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return str(value)

    def clean_rate(self) -> Any:
        try:
            return rate_parse(self.cleaned_data["rate"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("base") and cleaned.get("base") == cleaned.get("quote"):
            self.add_error("quote", "Must differ from base.")
        return cleaned


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Shared (ECB) rates are read-only; an organization's own can be corrected here."""

    form = ExchangeRateForm
    list_display = ("date", "base", "quote", "rate", "source", "organization")
    list_filter = ("source", "base", "quote")
    search_fields = ("base", "quote", "organization__name")
    date_hierarchy = "date"
    list_select_related = ("organization",)
    ordering = ("-date", "base", "quote")
    readonly_fields = ("source", "created_at", "updated_at")
    # The table holds ≈ 200 000 shared rows: no full count under each filter.
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.organization_id is None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.organization_id is None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # The bulk delete would bypass the service (and delete shared rows).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: ExchangeRate, form: Any, change: bool) -> None:
        services.rate_save(rate=obj)

    def delete_model(self, request: HttpRequest, obj: ExchangeRate) -> None:
        services.rate_delete(rate=obj)
