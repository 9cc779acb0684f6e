from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class Rule(models.Model):
    """A categorisation rule: global (no organization) or an organization's own."""

    class Field(models.TextChoices):
        MERCHANT = "merchant", "Merchant name"
        DESCRIPTION = "description", "Description"
        EITHER = "either", "Merchant or description"

    class MatchType(models.TextChoices):
        CONTAINS = "contains", "Contains"
        EXACT = "exact", "Exact"
        STARTS_WITH = "starts_with", "Starts with"
        REGEX = "regex", "Regular expression"

    class Direction(models.TextChoices):
        ANY = "any", "Any"
        IN = "in", "Money in"
        OUT = "out", "Money out"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
        help_text="Empty for a global default rule.",
    )
    category = models.ForeignKey(
        "taxonomy.Category", on_delete=models.CASCADE, related_name="rules"
    )
    pattern = models.CharField(max_length=500)
    field = models.CharField(max_length=12, choices=Field.choices, default=Field.EITHER)
    match_type = models.CharField(
        max_length=12, choices=MatchType.choices, default=MatchType.CONTAINS
    )
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.ANY)
    priority = models.IntegerField(default=50, help_text="Higher wins.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "created_at"]
        indexes = [models.Index(fields=["organization", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=~Q(pattern=""), name="rule_pattern_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_match_type_display()} {self.pattern!r} → {self.category.slug}"


class RuleSetVersion(models.Model):
    """One row whose counter every rule write bumps; workers compare it to rebuild."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"rules v{self.version}"


class BatchDispatch(models.Model):
    """When a batch's enrichment was last put on the queue.

    The sweeper re-queues a batch whose rows are still pending long after this: the message
    was lost (a broker restart, an outage at enqueue time).
    """

    batch = models.OneToOneField(
        "ingestion.Batch", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.batch_id} queued {self.enqueued_at:%Y-%m-%d %H:%M:%S}"


class MerchantMemory(models.Model):
    """What one organization's corrections taught about one merchant, in one direction.

    ``corrections`` counts the consistent corrections in a row to ``category``: a correction
    to another category (or a cleared one, ``category`` empty) replaces it and restarts the
    count at 1; ``total`` counts them all, so ``corrections / total`` is the share that
    agrees (the answer's confidence). Written only by ``memory.memory_record``.
    """

    class Direction(models.TextChoices):
        IN = "in", "Money in"
        OUT = "out", "Money out"

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200, help_text="The normalised merchant key.")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    category = models.ForeignKey(
        "taxonomy.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: the last correction cleared the category.",
    )
    corrections = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "merchant memories"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "direction"], name="merchant_memory_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key!r} ({self.direction}) × {self.corrections}/{self.total}"


class MerchantMemoryVersion(models.Model):
    """One row per organization whose counter every correction bumps (see memory.py)."""

    organization = models.OneToOneField(
        "tenancy.Organization", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    version = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"memory v{self.version}"
