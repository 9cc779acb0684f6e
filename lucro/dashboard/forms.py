"""The dashboard's forms: what people type, checked by the API's own validation.

A budget form hands its values to ``BudgetInSerializer``, the REST body's serializer, so the
dashboard and the API accept exactly the same budgets; its errors come back as the form's.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from lucro.budgets.models import Budget
from lucro.budgets.serializers import BudgetInSerializer
from lucro.core.currencies import format_money
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization


class LoginForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autofocus": True}))
    password = forms.CharField(max_length=4096, strip=False, widget=forms.PasswordInput)
    organization = forms.CharField(
        max_length=200,
        required=False,
        help_text="Only if you belong to several organizations: its name.",
    )


def category_choices(categories: list[Category], empty: str) -> list[tuple[str, str]]:
    """Return (slug, label) choices, detailed categories under their primary's name."""
    choices = [("", empty)]
    for category in categories:
        label = f"{category.parent.name} › {category.name}" if category.parent else category.name
        choices.append((category.slug, label))
    return sorted(choices, key=lambda c: (c[0] != "", c[1]))


class CategoryForm(forms.Form):
    """A transaction's manual category (empty: clear it), as PATCH …/transactions/<id>/."""

    category = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = category_choices(categories, "— none —")


def _messages(errors: Any) -> list[str]:
    """Flatten a DRF error structure (lists, dicts by index) into sentences."""
    if isinstance(errors, dict):
        return [m for key, value in errors.items() for m in _messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


class BudgetForm(forms.Form):
    name = forms.CharField(max_length=200)
    category = forms.ChoiceField(required=False)
    accounts = forms.MultipleChoiceField(
        required=False, help_text="None chosen: every account counts."
    )
    period = forms.ChoiceField(choices=Budget.Period.choices, initial=Budget.Period.MONTHLY)
    amount = forms.CharField(max_length=40, help_text="In the organization's base currency.")
    thresholds = forms.CharField(
        max_length=200,
        required=False,
        help_text="Fractions of the amount that raise an alert, e.g. 0.8, 1 (default).",
    )
    starts_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first period's first day (default: today).",
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        categories: list[Category],
        account_ids: list[str],
        budget: Budget | None = None,
        **kwargs: Any,
    ) -> None:
        if budget is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {
                "name": budget.name,
                "category": budget.category.slug if budget.category else "",
                "accounts": [a.account_id for a in budget.accounts.all()],
                "period": budget.period,
                "amount": format_money(budget.amount, budget.currency),
                "thresholds": ", ".join(str(t.normalize()) for t in budget.threshold_values),
                "starts_on": budget.starts_on,
            }
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.budget = budget
        self.validated: dict[str, Any] = {}
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = category_choices(categories, "All spending")
        accounts = self.fields["accounts"]
        assert isinstance(accounts, forms.MultipleChoiceField)
        accounts.choices = [(a, a) for a in account_ids]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        body: dict[str, Any] = {
            "name": cleaned["name"],
            "category": cleaned.get("category") or None,
            "accounts": list(cleaned.get("accounts") or []),
            "period": cleaned["period"],
            "amount": cleaned["amount"].strip(),
        }
        thresholds = [t for t in re.split(r"[\s,;]+", cleaned.get("thresholds") or "") if t]
        if thresholds:
            body["thresholds"] = thresholds
        if cleaned.get("starts_on"):
            body["starts_on"] = cleaned["starts_on"].isoformat()
        serializer = BudgetInSerializer(
            self.budget,
            data=body,
            partial=self.budget is not None,
            organization=self.organization,
        )
        if serializer.is_valid():
            self.validated = dict(serializer.validated_data)
        else:
            for field, errors in serializer.errors.items():
                name = field if field in self.fields else None
                for message in _messages(errors):
                    self.add_error(name, message)
        return cleaned
