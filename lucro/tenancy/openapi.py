"""The OpenAPI security scheme of the API key (imported by TenancyConfig.ready)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from lucro.core.openapi import API_KEY_SCHEME
from lucro.tenancy.authentication import ApiKeyAuthentication, JwtAuthentication


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Document ``Authorization: Token <api key>`` for every view that takes the key."""

    target_class = ApiKeyAuthentication
    # LucroAutoSchema adds the 401 and 503 answers to the operations with this scheme.
    name = API_KEY_SCHEME

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'An organization\'s API key, sent as "Token <key>" (or "Bearer <key>"); '
                "its scopes (ingest, read, write) decide what it may do."
            ),
        }


class JwtAuthenticationScheme(OpenApiAuthenticationExtension):
    """Document ``Authorization: Bearer <access token>`` (a person's JWT, SPEC §9)."""

    target_class = JwtAuthentication
    name = "BearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A user's access token from POST /api/v1/auth/token/ (HS256, "
                "JWT_ACCESS_MINUTES long); renew it with POST /api/v1/auth/token/refresh/."
            ),
        }
