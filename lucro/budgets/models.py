"""Budgets and their threshold alerts (SPEC §12). This app owns both tables."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from lucro.budgets.periods import MONTHLY, WEEKLY, YEARLY

DEFAULT_THRESHOLDS = ["0.8", "1.0"]


class Budget(models.Model):
    """An amount not to spend in a period, in the base currency of its organization when it
    was made (``currency``), over a category (None: all spending) and some accounts (none:
    all of them)."""

    class Period(models.TextChoices):
        WEEKLY = WEEKLY, "Weekly"
        MONTHLY = MONTHLY, "Monthly"
        YEARLY = YEARLY, "Yearly"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="budgets"
    )
    name = models.CharField(max_length=200)
    category = models.ForeignKey(
        "taxonomy.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A primary or a detailed category; empty: all spending (everything but "
        "income and transfers).",
    )
    accounts = models.ManyToManyField(
        "ingestion.Account", blank=True, related_name="+", help_text="Empty: every account."
    )
    period = models.CharField(max_length=16, choices=Period.choices, default=Period.MONTHLY)
    amount = models.DecimalField(max_digits=19, decimal_places=4)
    currency = models.CharField(max_length=3)
    # Fractions of the amount, ascending, as decimal strings (exact): ["0.8", "1.0"].
    thresholds = models.JSONField(default=list)
    starts_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at", "id"])]

    def __str__(self) -> str:
        return self.name

    @property
    def threshold_values(self) -> list[Decimal]:
        return [Decimal(t) for t in self.thresholds]


class Alert(models.Model):
    """A budget's spend first reached a threshold in one of its periods. Exactly one per
    (budget, period, threshold): the unique constraint decides, not a check in code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    period_start = models.DateField()
    period_end = models.DateField()
    threshold = models.DecimalField(max_digits=9, decimal_places=4)
    spent = models.DecimalField(max_digits=24, decimal_places=4)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period_start", "threshold"], name="budgets_alert_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "created_at", "id"])]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.period_start} {self.threshold}"
