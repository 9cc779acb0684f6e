"""Budget periods: weekly, monthly or yearly, anchored at the budget's ``starts_on``.

A monthly budget starting on the 31st runs from each month's 31st — or its last day, in a
shorter month — to the day before the next one's; a yearly one starting on 29 February
runs from 28 February in other years. Periods extend both ways from the anchor, so any day
has exactly one (pure arithmetic; nothing read).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

WEEKLY = "weekly"
MONTHLY = "monthly"
YEARLY = "yearly"
PERIODS = (WEEKLY, MONTHLY, YEARLY)

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def _months_after(anchor: dt.date, months: int) -> dt.date:
    """Return the anchor's day ``months`` months later (earlier if negative), clamped to the
    month's length."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def period_containing(kind: str, starts_on: dt.date, day: dt.date) -> Period:
    """Return the period of a ``kind`` budget anchored at ``starts_on`` that holds ``day``."""
    if kind == WEEKLY:
        start = starts_on + dt.timedelta(days=7 * ((day - starts_on).days // 7))
        return Period(start, start + dt.timedelta(days=6))
    step = {MONTHLY: 1, YEARLY: 12}[kind]
    count = ((day.year - starts_on.year) * 12 + day.month - starts_on.month) // step
    start = _months_after(starts_on, count * step)
    if start > day:
        count -= 1
        start = _months_after(starts_on, count * step)
    return Period(start, _months_after(starts_on, (count + 1) * step) - _ONE_DAY)
