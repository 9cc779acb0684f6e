"""Taxonomy reads."""

from __future__ import annotations

from django.db.models import QuerySet

from lucro.taxonomy.models import Category


def categories_list() -> QuerySet[Category]:
    """Return every category, primaries and detailed ones, by name."""
    return Category.objects.select_related("parent").order_by("name")
