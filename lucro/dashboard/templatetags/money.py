"""``{{ amount|money:currency }}``: money as people read it (``money_display``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from lucro.core.currencies import money_display

register = template.Library()


@register.filter
def money(amount: object, currency: str | None = None) -> str:
    if amount is None or amount == "":
        return "—"
    try:
        return money_display(Decimal(str(amount)), currency)
    except InvalidOperation:
        return str(amount)


@register.filter
def percent(value: object) -> str:
    """A fraction (``"0.2500"``) as a percentage (``"25.0 %"``)."""
    try:
        return f"{Decimal(str(value)) * 100:.1f} %"
    except InvalidOperation:
        return ""
