"""Budget periods: every day in exactly one, contiguous, anchored at starts_on."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lucro.budgets.periods import PERIODS, Period, period_containing

D = dt.date


@pytest.mark.parametrize(
    ("kind", "anchor", "day", "expected"),
    [
        ("monthly", D(2025, 1, 31), D(2025, 2, 28), (D(2025, 2, 28), D(2025, 3, 30))),
        ("monthly", D(2025, 1, 31), D(2025, 3, 31), (D(2025, 3, 31), D(2025, 4, 29))),
        ("monthly", D(2025, 10, 1), D(2025, 10, 31), (D(2025, 10, 1), D(2025, 10, 31))),
        ("monthly", D(2025, 10, 15), D(2025, 10, 14), (D(2025, 9, 15), D(2025, 10, 14))),
        ("yearly", D(2024, 2, 29), D(2025, 3, 1), (D(2025, 2, 28), D(2026, 2, 27))),
        ("weekly", D(2025, 10, 1), D(2025, 9, 30), (D(2025, 9, 24), D(2025, 9, 30))),
        ("weekly", D(2025, 10, 1), D(2025, 10, 8), (D(2025, 10, 8), D(2025, 10, 14))),
    ],
)
def test_examples(kind: str, anchor: dt.date, day: dt.date, expected: tuple[dt.date, ...]) -> None:
    assert period_containing(kind, anchor, day) == Period(*expected)


@given(
    kind=st.sampled_from(PERIODS),
    anchor=st.dates(D(2000, 1, 1), D(2040, 12, 31)),
    day=st.dates(D(1990, 1, 1), D(2050, 12, 31)),
)
def test_every_day_has_one_period_and_periods_tile(
    kind: str, anchor: dt.date, day: dt.date
) -> None:
    period = period_containing(kind, anchor, day)
    assert day in period
    after = period_containing(kind, anchor, period.end + dt.timedelta(days=1))
    before = period_containing(kind, anchor, period.start - dt.timedelta(days=1))
    assert after.start == period.end + dt.timedelta(days=1)
    assert before.end == period.start - dt.timedelta(days=1)
    assert period_containing(kind, anchor, anchor).start == anchor
