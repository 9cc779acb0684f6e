"""Exact Σ amount × rate over the day vectors, at C speed (PostgreSQL).

A converted report needs, for each (account, category), Σ over the days d of the range of
``spend(d) × rate(d)`` (and the same for income). On PostgreSQL ``reports_monthlydays``
(``rollups``) carries, per account, month and category, the month's counts and its 31
daily sums as packed int8 ten-thousandths (``amounts_wire``, 496 bytes) and daily counts
(``counts_wire``). A year of five accounts in thirty categories is then 1 800 rows of
bytes instead of 55 000 daily rows, and the products run in numpy instead of once per row
in SQL or in Python's ``Decimal``.

Exactness, without floating point:

- every rate of the range is a finite decimal (``Decimal``), so all of them are integers
  over one power of ten: ``rate = R / 10**M``;
- an amount is an integer ``A`` of ten-thousandths below 2⁶² (the trigger guarantees it);
  it is split as ``A = hi·2³¹ + lo`` with ``0 ≤ lo < 2³¹`` and ``|hi| < 2³¹``;
- ``R`` is split into 16-bit limbs ``R = Σ Lₖ·2¹⁶ᵏ``;
- each product ``lo·Lₖ`` or ``hi·Lₖ`` is below 2⁴⁷, and a range sums at most 2¹⁵ days of
  them (``REPORT_MAX_RANGE_DAYS``: 366 by default, at most 3 660): every int64 sum is
  exact (``build`` refuses a longer range);
- the limbs are recombined in Python integers and divided by ``10**(M + 4)`` by writing
  the decimal string (exact: no context rounding).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.ma  # np.unique imports it on its first call: 17 ms of a first report
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from lucro.reports.queries import Totals

DAYS = 31
_LIMB_BITS = 16
_LOW_BITS = 31
_LOW_MASK = (1 << _LOW_BITS) - 1
_FIVES = {5**i: i for i in range(256)}
_MAX_DAYS = 2**15

Int64Array = npt.NDArray[np.int64]
IntArray = npt.NDArray[np.intp]


def _ten_power(denominator: int) -> int:
    """Return the least k with ``denominator`` dividing 10**k (a finite decimal's)."""
    twos = (denominator & -denominator).bit_length() - 1
    fives = _FIVES.get(denominator >> twos)
    if fives is None:  # beyond 5**255: count them
        rest, fives = denominator >> twos, 0
        while rest % 5 == 0:
            rest, fives = rest // 5, fives + 1
    return max(twos, fives)


@dataclass(frozen=True)
class CurrencyRates:
    """One currency's rate on each day as integer limbs over ``10**power``.

    Indexed by position: 31 padding days, the range's days, 31 padding days (so that any
    month overlapping the range can be laid out whole); 0 outside the range and on days
    without a rate. ``identity``: every rate of the range is exactly 1 (the target's own
    currency): its figures need no product at all.
    """

    power: int
    limbs: Int64Array  # (31 + days + 31, limbs)
    identity: bool

    @classmethod
    def build(cls, in_range: Sequence[Decimal | None]) -> CurrencyRates:
        values = set(in_range)
        values.discard(None)
        if all(value == 1 for value in values):
            return cls(
                power=0, limbs=np.zeros((len(in_range) + 2 * DAYS, 0), np.int64), identity=True
            )
        ratios = {rate: rate.as_integer_ratio() for rate in values if rate is not None}
        power = max(_ten_power(d) for _, d in ratios.values())
        scale = 10**power
        scaled = {rate: n * (scale // d) for rate, (n, d) in ratios.items()}
        width = max(value.bit_length() for value in scaled.values())
        nbytes = 2 * max(1, math.ceil(width / _LIMB_BITS))
        zero = bytes(nbytes)
        packed = {rate: value.to_bytes(nbytes, "little") for rate, value in scaled.items()}
        wire = (
            zero * DAYS + b"".join(zero if r is None else packed[r] for r in in_range) + zero * DAYS
        )
        limbs = np.frombuffer(wire, dtype="<u2").reshape(-1, nbytes // 2).astype(np.int64)
        return cls(power=power, limbs=limbs, identity=False)

    def decimal(self, value: int) -> Decimal:
        """Return ``value`` (ten-thousandths × 10**power) as an exact Decimal."""
        return Decimal(f"{value}e-{self.power + 4}")


@dataclass(frozen=True)
class ScaledRates:
    """Each currency's rates over a range (``CurrencyRates``), by position in ``index``.

    ``masks`` is (1, 0) on a day of the range with a rate, (0, 1) on one without, (0, 0)
    outside (same positions as the limbs). ``complete`` says no day of the range lacks a
    rate, in any currency. Each currency has its own power of ten: the target's own needs
    no limb, a four-place ECB rate one or two, a derived 28-digit one six or seven.
    """

    start: dt.date
    index: Mapping[str, int]
    currencies: Sequence[CurrencyRates]
    masks: Int64Array  # (currencies, 31 + days + 31, 2)
    complete: bool

    @classmethod
    def build(
        cls, rates: Mapping[str, Mapping[dt.date, Decimal]], start: dt.date, days: int
    ) -> ScaledRates:
        if days > _MAX_DAYS:
            raise ValueError(f"a range of {days} days is too long for exact int64 sums")
        index = {code: i for i, code in enumerate(rates)}
        dates = [start + dt.timedelta(days=i) for i in range(days)]
        present = np.zeros((len(index), days + 2 * DAYS), dtype=np.int64)
        currencies = []
        for code, i in index.items():
            in_range = list(map(rates[code].get, dates))
            currencies.append(CurrencyRates.build(in_range))
            present[i, DAYS : DAYS + days] = [r is not None for r in in_range]
        missing = np.zeros_like(present)
        missing[:, DAYS : DAYS + days] = 1 - present[:, DAYS : DAYS + days]
        return cls(
            start=start,
            index=index,
            currencies=currencies,
            masks=np.stack([present, missing], axis=2),
            complete=not missing.any(),
        )

    def window(self, offset: int, days: int) -> ScaledRates:
        """Return the rates of the ``days`` days from day ``offset`` of this range.

        Copies (a few hundred kB at most), with zeros outside the window again: a month's
        days outside the range must multiply by nothing. Each currency keeps its power of
        ten (any power its rates are integers over will do).
        """
        if offset < 0 or offset + days > self.masks.shape[1] - 2 * DAYS:
            raise ValueError("the window is not within the range")
        inside = slice(DAYS + offset, DAYS + offset + days)
        currencies = []
        for scaled in self.currencies:
            limbs = np.zeros((days + 2 * DAYS, scaled.limbs.shape[1]), dtype=np.int64)
            limbs[DAYS : DAYS + days] = scaled.limbs[inside]
            currencies.append(CurrencyRates(scaled.power, limbs, scaled.identity))
        masks = np.zeros((self.masks.shape[0], days + 2 * DAYS, 2), dtype=np.int64)
        masks[:, DAYS : DAYS + days] = self.masks[:, inside]
        return ScaledRates(
            start=self.start + dt.timedelta(days=offset),
            index=self.index,
            currencies=currencies,
            masks=masks,
            complete=not masks[:, :, 1].any(),
        )


@dataclass(frozen=True)
class Figures:
    """One group's figures over the range: all of them in their own currency, those of
    days with a rate converted (sums exact, unrounded), and those of days without."""

    native: Totals
    converted: Totals
    unconverted: Totals


@dataclass(frozen=True)
class VectorRows:
    """``reports_monthlydays`` rows of one range, column by column.

    Row i belongs to group ``groups[i]`` (0, 1, … with no gap), its month starts
    ``offsets[i]`` days after the range's first day (negative when it began before), its
    account's currency is ``currencies[i]`` (an index of ``ScaledRates.index``),
    ``amounts[i]`` are its days' spend and income sums (ten-thousandths) and
    ``month_counts[i]`` its month's spend, income and failed counts. The rows ``by_day``
    (a month the range cuts, or any month when some day lacks a rate) carry their days'
    counts too, in ``day_counts`` (same order); their month's counts are not used.
    """

    groups: IntArray  # (n,)
    offsets: IntArray  # (n,)
    currencies: IntArray  # (n,)
    amounts: Int64Array  # (n, 2, 31)
    month_counts: Int64Array  # (n, 3)
    by_day: IntArray  # (m,)
    day_counts: Int64Array  # (m, 3, 31)


def vector_totals(rows: VectorRows, rates: ScaledRates) -> list[Figures]:
    """Return each group's figures over the range of ``rates``, each day at its rate.

    All rows at once: each row's 31 rates (and masks) are a window of its currency's
    (``sliding_window_view``: a view, gathered once), and each row's products are one
    small matrix product in a single stacked ``matmul``; rows are then added into their
    groups. A group's rows share one currency (its account's).
    """
    n = len(rows.groups)
    if not n:
        return []
    count = int(rows.groups.max()) + 1
    group, currency = rows.groups, rows.currencies
    start = rows.offsets + DAYS
    # Per row: spend low, income low, spend high, income high, by day. A shorter month's
    # day 31 is 0, so the next month's first rate it meets multiplies nothing.
    parts = np.concatenate([rows.amounts & _LOW_MASK, rows.amounts >> _LOW_BITS], axis=1)
    masks = sliding_window_view(rates.masks, DAYS, axis=1)[currency, start]  # (n, 2, 31)
    masked = np.zeros((count, 4, 2), dtype=np.int64)  # (group, part, with/without rate)
    np.add.at(masked, group, parts @ masks.transpose(0, 2, 1))
    counted = np.zeros((count, 3, 2), dtype=np.int64)  # (group, column, with/without rate)
    if len(rows.by_day):
        by_day = rows.by_day
        np.add.at(counted, group[by_day], rows.day_counts @ masks[by_day].transpose(0, 2, 1))
    whole = np.ones(n, dtype=bool)
    whole[rows.by_day] = False
    np.add.at(counted[:, :, 0], group[whole], rows.month_counts[whole])
    # Converted sums, per group, as Python integers over the group's currency's power.
    converted: list[tuple[int, int]] = [(0, 0)] * count
    group_currency = np.zeros(count, dtype=np.intp)
    group_currency[group] = currency
    masked_list = masked.tolist()
    for code, scaled in enumerate(rates.currencies):
        members = np.flatnonzero(currency == code)
        if not len(members):
            continue
        if scaled.identity:
            for g in np.unique(group[members]).tolist():
                m = masked_list[g]
                converted[g] = ((m[2][0] << _LOW_BITS) + m[0][0], (m[3][0] << _LOW_BITS) + m[1][0])
            continue
        windows = sliding_window_view(scaled.limbs, DAYS, axis=0)[start[members]]  # (r, L, 31)
        mine = parts[members]
        if not mine[:, 2:].any():
            mine = mine[:, :2]  # no amount reaches 2³¹ ten-thousandths: no high half
        ids, inverse = np.unique(group[members], return_inverse=True)
        sums = np.zeros((len(ids), mine.shape[1], windows.shape[1]), dtype=np.int64)
        np.add.at(sums, inverse, mine @ windows.transpose(0, 2, 1))
        for g, s in zip(ids.tolist(), sums.tolist(), strict=True):
            spend, income = _limbs(s[0]), _limbs(s[1])
            if len(s) > 2:
                spend += _limbs(s[2]) << _LOW_BITS
                income += _limbs(s[3]) << _LOW_BITS
            converted[g] = (spend, income)
    out: list[Figures] = []
    for g, ((s_n, i_n, f_n), k, (spend, income)) in enumerate(
        zip(counted.tolist(), masked_list, converted, strict=True)
    ):
        scaled = rates.currencies[group_currency[g]]
        with_rate = Totals(
            spend_count=s_n[0],
            spend_sum=scaled.decimal(spend),
            income_count=i_n[0],
            income_sum=scaled.decimal(income),
            failed_count=f_n[0],
        )
        without = Totals(
            spend_count=s_n[1],
            spend_sum=_units((k[2][1] << _LOW_BITS) + k[0][1]),
            income_count=i_n[1],
            income_sum=_units((k[3][1] << _LOW_BITS) + k[1][1]),
            failed_count=f_n[1],
        )
        native = Totals(
            spend_count=s_n[0] + s_n[1],
            spend_sum=_units(((k[2][0] + k[2][1]) << _LOW_BITS) + k[0][0] + k[0][1]),
            income_count=i_n[0] + i_n[1],
            income_sum=_units(((k[3][0] + k[3][1]) << _LOW_BITS) + k[1][0] + k[1][1]),
            failed_count=f_n[0] + f_n[1],
        )
        out.append(Figures(native=native, converted=with_rate, unconverted=without))
    return out


def _limbs(sums: Sequence[int]) -> int:
    """Return Σ sums[k] · 2**(16k)."""
    return sum(v << (_LIMB_BITS * k) for k, v in enumerate(sums))


def _units(value: int) -> Decimal:
    """Return ``value`` ten-thousandths as an exact Decimal."""
    return Decimal(f"{value}e-4")
