"""The category field every API that takes a category uses, and its OpenAPI description."""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from lucro.taxonomy.defaults import taxonomy
from lucro.taxonomy.models import Category


@cache
def category_slugs() -> list[str]:
    """Return the taxonomy's slugs, sorted: what the schema enumerates for a category.

    The taxonomy (seeded by enrichment's migration 0002 from the same files) is the
    contract, its slugs stable; reading it rather than the table lets the schema be
    generated with no database.
    """
    return sorted(entry.slug for entry in taxonomy())


class CategorySlugField(serializers.SlugRelatedField):
    """A category named by its slug; the schema enumerates the taxonomy's slugs.

    (``CategorySlugFieldExtension`` below documents it.)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", queryset=Category.objects.all(), **kwargs)

    def slugs(self) -> list[str]:
        return category_slugs()


# Defined beside the field so that whatever serializer uses the field has also registered
# its schema (drf-spectacular registers an extension when its class is created).
class CategorySlugFieldExtension(OpenApiSerializerFieldExtension):
    """A category slug, enumerated when the schema is generated (not at import)."""

    target_class = CategorySlugField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "enum": self.target.slugs()}
        if self.target.allow_null:
            schema["nullable"] = True
        return schema
