from __future__ import annotations

import uuid

from django.db import models


class Category(models.Model):
    """A two-level category: a primary (``parent`` is null) or a detailed one under it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    code = models.CharField(
        max_length=120, unique=True, help_text="Plaid-style code, e.g. FOOD_AND_DRINK_COFFEE"
    )
    name = models.CharField(max_length=200, help_text="Full name, e.g. Food & Drink › Coffee")
    short_name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        # The table the enrichment app created: the model moved here (migration
        # taxonomy 0001, state only), its rows and every reference to them did not.
        db_table = "enrichment_category"
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @property
    def is_primary(self) -> bool:
        return self.parent_id is None
