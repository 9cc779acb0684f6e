"""The manual-categorisation request's edge: the write itself is the owner's transition
(``lucro.ingestion.transitions.transaction_categorise``)."""

from __future__ import annotations

from typing import Any

from lucro.core.errors import ValidationFailed


def parse_category_patch(body: Any) -> str | None:
    """Return the category slug (or None) of a PATCH body, or raise a 400 problem."""
    if not isinstance(body, dict) or "category" not in body:
        raise ValidationFailed(
            'Send {"category": "<slug>"} or {"category": null}.',
            errors=[{"pointer": "/category", "detail": "Required."}],
        )
    slug = body["category"]
    if slug is not None and (not isinstance(slug, str) or not slug):
        raise ValidationFailed(
            "category must be a category slug or null.",
            errors=[{"pointer": "/category", "detail": "Must be a slug or null."}],
        )
    return slug
