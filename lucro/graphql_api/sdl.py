"""The committed SDL (``schema.graphql`` at the repository root) and how it is made."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from lucro.graphql_api.schema import schema

SDL_PATH = Path(settings.BASE_DIR) / "schema.graphql"
HEADER = (
    "# The GraphQL schema of POST /api/v1/graphql/ (SPEC §14), generated from the code by\n"
    "# `python manage.py graphql_schema`; a test fails when the two differ.\n\n"
)


def sdl_text() -> str:
    """Return the SDL of the schema as the code defines it."""
    return HEADER + schema.as_str() + "\n"
