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
import numpy.typing as npt

from lucro.reports.queries import Totals

DAYS = 31
_LIMB_BITS = 16
_LOW_BITS = 31
_LOW_MASK = (1 << _LOW_BITS) - 1
_FIVES = {5**i: i for i in range(256)}
_MAX_DAYS = 2**15

Int64Array = npt.NDArray[np.int64]


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
class ScaledRates:
    """Each currency's rate on each day of a range as integer limbs over ``10**power``.

    Indexed by position: 31 padding days, the range's days, 31 padding days (so that any
    month overlapping the range can be laid out whole). ``limbs`` is 0 outside the range
    and on days without a rate; ``masks`` is (1, 0) on a day of the range with a rate,
    (0, 1) on one without, (0, 0) outside. ``complete`` says no day of the range lacks a
    rate, in any currency.
    """

    start: dt.date
    power: int
    index: Mapping[str, int]
    limbs: Int64Array  # (currencies, 31 + days + 31, limbs)
    masks: Int64Array  # (currencies, 31 + days + 31, 2)
    complete: bool

    @classmethod
    def build(
        cls, rates: Mapping[str, Mapping[dt.date, Decimal]], start: dt.date, days: int
    ) -> ScaledRates:
        if days > _MAX_DAYS:
            raise ValueError(f"a range of {days} days is too long for exact int64 sums")
        ratios: dict[Decimal, tuple[int, int]] = {}
        for by_day in rates.values():
            for rate in by_day.values():
                if rate not in ratios:
                    ratios[rate] = rate.as_integer_ratio()
        power = max((_ten_power(d) for _, d in ratios.values()), default=0)
        scale = 10**power
        scaled = {rate: n * (scale // d) for rate, (n, d) in ratios.items()}
        width = max((value.bit_length() for value in scaled.values()), default=1)
        nbytes = 2 * max(1, math.ceil(width / _LIMB_BITS))
        zero = bytes(nbytes)
        packed = {rate: value.to_bytes(nbytes, "little") for rate, value in scaled.items()}
        index = {code: i for i, code in enumerate(rates)}
        dates = [start + dt.timedelta(days=i) for i in range(days)]
        parts = []
        present = np.zeros((len(index), days + 2 * DAYS), dtype=np.int64)
        for code, i in index.items():
            in_range = list(map(rates[code].get, dates))
            parts.append(
                zero * DAYS
                + b"".join(zero if r is None else packed[r] for r in in_range)
                + zero * DAYS
            )
            present[i, DAYS : DAYS + days] = [r is not None for r in in_range]
        limbs = (
            np.frombuffer(b"".join(parts), dtype="<u2")
            .reshape(len(index), days + 2 * DAYS, nbytes // 2)
            .astype(np.int64)
        )
        missing = np.zeros_like(present)
        missing[:, DAYS : DAYS + days] = 1 - present[:, DAYS : DAYS + days]
        return cls(
            start=start,
            power=power,
            index=index,
            limbs=limbs,
            masks=np.stack([present, missing], axis=2),
            complete=not missing.any(),
        )

    def decimal(self, value: int) -> Decimal:
        """Return ``value`` (ten-thousandths × 10**power) as an exact Decimal."""
        return Decimal(f"{value}e-{self.power + 4}")


@dataclass(frozen=True)
class Figures:
    """One group's figures over the range: all of them in their own currency, those of
    days with a rate converted (sums exact, unrounded), and those of days without."""

    native: Totals
    converted: Totals
    unconverted: Totals


@dataclass
class VectorRows:
    """``reports_monthlydays`` rows of one range, column by column.

    Row i belongs to group ``groups[i]`` (0, 1, … with no gap), its month starts
    ``offsets[i]`` days after the range's first day (negative when it began before), its
    account's currency is ``currencies[i]`` (an index of ``ScaledRates.index``). A row
    carries its days' counts (``counts[i]``, bytes) when its month is not wholly in the
    range or some day lacks a rate; otherwise its month's counts (``month_counts[i]``).
    """

    groups: Sequence[int]
    offsets: Sequence[int]
    currencies: Sequence[int]
    amounts: Sequence[bytes]
    counts: Sequence[bytes | None]
    month_counts: Sequence[tuple[int, ...]]


def vector_totals(rows: VectorRows, rates: ScaledRates) -> list[Figures]:
    """Return each group's figures over the range of ``rates``, each day at its rate.

    Rows of one currency and one month share their days' rates: each such block is one
    small matrix product, added into its groups (a group has at most one row per block).
    Small arrays throughout: a fresh multi-megabyte array costs more in page faults than
    the arithmetic.
    """
    n = len(rows.amounts)
    if not n:
        return []
    count = max(rows.groups) + 1
    group = np.asarray(rows.groups, dtype=np.intp)
    offset = np.asarray(rows.offsets, dtype=np.intp)
    currency = np.asarray(rows.currencies, dtype=np.intp)
    amounts = np.frombuffer(b"".join(rows.amounts), dtype=">i8").astype(np.int64)
    amounts = amounts.reshape(n, 2, DAYS)
    # Per row: spend low, income low, spend high, income high, by day. A shorter month's
    # day 31 is 0, so the next month's first rate it meets multiplies nothing.
    parts = np.concatenate([amounts & _LOW_MASK, amounts >> _LOW_BITS], axis=1)
    counts_at = {i: c for i, c in enumerate(rows.counts) if c is not None}
    day_counts = (
        np.frombuffer(b"".join(counts_at.values()), dtype=">i4")
        .astype(np.int64)
        .reshape(len(counts_at), 3, DAYS)
        if counts_at
        else np.zeros((0, 3, DAYS), dtype=np.int64)
    )
    counts_row = {i: k for k, i in enumerate(counts_at)}
    money = np.zeros((count, 4, rates.limbs.shape[2]), dtype=np.int64)
    masked = np.zeros((count, 4, 2), dtype=np.int64)
    counted = np.zeros((count, 3, 2), dtype=np.int64)  # (group, column, with/without rate)
    whole = [i for i in range(n) if i not in counts_at]
    if whole:
        counted[:, :, 0] += _group_sums(
            group[whole], np.asarray([rows.month_counts[i] for i in whole]), count
        )
    order = np.lexsort((offset, currency))
    changes = (np.diff(currency[order]) != 0) | (np.diff(offset[order]) != 0)
    for block in np.split(order, np.flatnonzero(changes) + 1):
        code, start = int(currency[block[0]]), int(offset[block[0]]) + DAYS
        limbs = rates.limbs[code, start : start + DAYS]
        masks = rates.masks[code, start : start + DAYS]
        members = group[block]
        money[members] += parts[block] @ limbs
        masked[members] += parts[block] @ masks
        by_day = [i for i in block.tolist() if i in counts_row]
        if by_day:
            counted[group[by_day]] += day_counts[[counts_row[i] for i in by_day]] @ masks
    out: list[Figures] = []
    for m, k, (s_n, i_n, f_n) in zip(
        money.tolist(), masked.tolist(), counted.tolist(), strict=True
    ):
        with_rate = Totals(
            spend_count=s_n[0],
            spend_sum=rates.decimal((_limbs(m[2]) << _LOW_BITS) + _limbs(m[0])),
            income_count=i_n[0],
            income_sum=rates.decimal((_limbs(m[3]) << _LOW_BITS) + _limbs(m[1])),
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


def _group_sums(group: npt.NDArray[np.intp], values: Int64Array, count: int) -> Int64Array:
    """Return the sum of ``values`` rows per group (``count`` groups), exactly."""
    out = np.zeros((count, values.shape[1]), dtype=np.int64)
    np.add.at(out, group, values)
    return out


def _limbs(sums: Sequence[int]) -> int:
    """Return Σ sums[k] · 2**(16k)."""
    return sum(v << (_LIMB_BITS * k) for k, v in enumerate(sums))


def _units(value: int) -> Decimal:
    """Return ``value`` ten-thousandths as an exact Decimal."""
    return Decimal(f"{value}e-4")
