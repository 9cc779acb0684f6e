"""Dated exchange rates (SPEC §11): the shared reference rates and each organization's own.

A row says "on ``date``, 1 unit of ``base`` = ``rate`` units of ``quote``". Rows are stored
as their source publishes them (the ECB's are base EUR, quote X); inverses and crosses are
derived when read (``selectors``), never stored.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from lucro.tenancy.models import Organization

# NUMERIC(24, 12): up to 12 digits each side of the point, so any rate in [10⁻¹², 10¹²)
# fits as published; ISO currency pairs lie orders of magnitude inside that.
RATE_MAX_DIGITS = 24
RATE_DECIMAL_PLACES = 12
# The base of every shared rate: the ECB publishes 1 EUR = rate X.
SHARED_BASE = "EUR"


class RateSource(models.TextChoices):
    ECB = "ecb", "ECB reference rate (historical file)"
    UPLOAD = "upload", "uploaded by the organization"
    FETCH = "fetch", "fetched from FX_SOURCE_URL"


class ExchangeRate(models.Model):
    """One published rate: 1 ``base`` = ``rate`` ``quote`` on ``date``."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exchange_rates",
        # Lookups and cascades by organization use fx_rate_org_unique (its first column);
        # a plain index would also hold the ≈ 200 000 shared rows' NULLs.
        db_index=False,
        help_text="Empty: a shared reference rate (ECB) every organization uses. Set: that "
        "organization's own upload, which only it ever sees.",
    )
    date = models.DateField()
    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(
        max_digits=RATE_MAX_DIGITS,
        decimal_places=RATE_DECIMAL_PLACES,
        help_text="Units of quote per 1 unit of base.",
    )
    source = models.CharField(max_length=8, choices=RateSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Two partial constraints: in one (organization, base, quote, date) constraint a
            # NULL organization never equals another, so shared rows could repeat.
            models.UniqueConstraint(
                fields=["base", "quote", "date"],
                condition=Q(organization__isnull=True),
                name="fx_rate_shared_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "base", "quote", "date"],
                condition=Q(organization__isnull=False),
                name="fx_rate_org_unique",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0) & ~Q(base=F("quote")),
                name="fx_rate_positive_distinct",
            ),
            # The shared rates are the ECB's (its history and its daily file), published
            # against the euro. The resolution relies on it: a range reads only the shared
            # rows of EUR and the currencies involved (selectors.rates_daily).
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(base=SHARED_BASE),
                name="fx_rate_shared_eur_based",
            ),
        ]
        indexes = [
            # The resolution's reads: a pair (or a few currencies) over a date window, the
            # shared rows and one organization's together.
            models.Index(fields=["base", "quote", "date"], name="fx_rate_lookup"),
        ]
        verbose_name = "exchange rate"

    def __str__(self) -> str:
        return f"{self.date} 1 {self.base} = {self.rate} {self.quote}"
