"""Each day's exchange rates over whole calendar years, kept in this process.

A converted report needs, for each currency of its accounts, the rate on each day of its
range (``fx.selectors.rates_daily``) and, on PostgreSQL, those rates as integer limbs
(``dayvectors.ScaledRates``): ≈ 10 ms for a year of five currencies here, a third of an
organization summary, done again on every call although rates change only when someone
uploads or loads some. Here they are computed for whole calendar years at a time and cut
to each range: any range of up to a year falls in one block of at most two years, so a
few blocks serve every report and budget of an organization.

Never stale: a block is keyed by the rates' cache version (``fx.cache.fx_version``),
which every write of rates changes (``fx.events``), and by the staleness setting; it is
also dropped after ``TTL_SECONDS``, which bounds the harm of a version bump lost while the
cache was unreachable. When the cache cannot say the version, nothing is kept or reused.
Converted figures themselves are never stored: a block holds rates only.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from time import monotonic

from django.conf import settings

from lucro.fx.cache import fx_version
from lucro.fx.selectors import rates_daily
from lucro.reports.conversion import Rates
from lucro.reports.dayvectors import ScaledRates
from lucro.reports.queries import DateRange
from lucro.tenancy.models import Organization

# Blocks kept per process. One is ≈ 100 kB (two years of five currencies, as Decimals and
# as limbs); an organization's reports use one to three (this year, last year and the two
# together), so this holds the busy organizations of a process in a few MB.
MAX_BLOCKS = 32
TTL_SECONDS = 300.0


@dataclass
class RateBlock:
    """Rates of ``currencies`` into ``target`` on each day of [start, start + days).

    ``rates``: as ``rates_daily`` returns them (a day without a rate is absent); the
    currencies with no rate at all (an account without a currency: "") map to nothing.
    """

    start: dt.date
    days: int
    target: str
    rates: Rates
    _scaled: ScaledRates | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def scaled(self, span: DateRange) -> ScaledRates:
        """Return the rates of ``span`` (within the block) as ``ScaledRates``.

        Built once per block (on PostgreSQL only: the portable path never asks), then cut.
        """
        with self._lock:
            if self._scaled is None:
                self._scaled = ScaledRates.build(self.rates, self.start, self.days)
        return self._scaled.window((span.start - self.start).days, (span.end - span.start).days + 1)


_blocks: OrderedDict[tuple[object, ...], tuple[float, RateBlock]] = OrderedDict()
_blocks_lock = threading.Lock()


def _version(organization_id: uuid.UUID) -> str | None:
    try:
        return fx_version(organization_id)
    except Exception:  # the cache is unreachable: compute, keep nothing
        return None


def rate_block(
    *, organization: Organization, currencies: Collection[str], target: str, span: DateRange
) -> RateBlock:
    """Return the rates of ``currencies`` into ``target`` over the calendar years ``span``
    touches: from this process's blocks when the rates have not changed since."""
    codes = tuple(sorted(set(currencies)))
    first, last = span.start.year, span.end.year
    version = _version(organization.pk)
    key = (organization.pk, version, settings.FX_MAX_STALENESS_DAYS, target, codes, first, last)
    now = monotonic()
    if version is not None:
        with _blocks_lock:
            found = _blocks.get(key)
            if found is not None and found[0] > now:
                _blocks.move_to_end(key)
                return found[1]
    start, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    daily = rates_daily(
        organization=organization,
        sources=[code for code in codes if code],
        target=target,
        start=start,
        end=end,
    )
    block = RateBlock(
        start=start,
        days=(end - start).days + 1,
        target=target,
        rates={code: daily.get(code, {}) for code in codes},
    )
    if version is not None:
        with _blocks_lock:
            _blocks[key] = (now + TTL_SECONDS, block)
            _blocks.move_to_end(key)
            while len(_blocks) > MAX_BLOCKS:
                _blocks.popitem(last=False)
    return block


def rate_blocks_clear() -> None:
    """Forget every block (tests that change rates behind the events' back)."""
    with _blocks_lock:
        _blocks.clear()
