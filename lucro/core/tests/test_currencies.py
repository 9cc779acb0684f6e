from __future__ import annotations

from decimal import Decimal

import pytest

from lucro.core.currencies import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("-99.6700"), "USD", "-99.67"),
        (Decimal("1234.5"), "JPY", "1234"),  # no minor units: banker's rounding, once
        (Decimal("0.1235"), "KWD", "0.124"),
        # An exact converted net of −2.5e-27 (two rates of 28 digits) is zero to a person.
        (Decimal("-0.0000000000000000000000000025"), "USD", "0.00"),
        (Decimal("-0.004"), "USD", "0.00"),
        (Decimal("-0.006"), "USD", "-0.01"),
    ],
)
def test_format_money_rounds_to_minor_units_without_a_negative_zero(
    amount: Decimal, currency: str, shown: str
) -> None:
    assert format_money(amount, currency) == shown
