"""Shared OpenAPI pieces: the problem+json error body."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.URLField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.ListField(
            child=inline_serializer(
                name="ProblemFieldError",
                fields={"pointer": serializers.CharField(), "detail": serializers.CharField()},
            ),
            required=False,
        ),
    },
)


def problem(description: str) -> OpenApiResponse:
    """Return an OpenAPI response documented as an RFC 9457 problem."""
    return OpenApiResponse(response=ProblemSerializer, description=description)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Token <api key>`` (imported by OpsConfig.ready)."""

    target_class = "lucro.tenancy.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An organization\'s API key, sent as "Token <key>" (or "Bearer <key>").',
        }


class LucroAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with distinct operation ids for the unversioned aliases.

    ``/api/integrations/transactions/`` and friends serve the same views as their
    ``/api/v1/`` twins; their operations get a ``_legacy`` suffix instead of a numeral.
    """

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        module = type(self.view).__module__
        if (
            operation is not None
            and self.path.startswith("/api/")
            and not self.path.startswith("/api/v1/")
            and not module.startswith("lucro.ops")
        ):
            operation["operationId"] = f"{operation['operationId']}_legacy"
        return operation


def problem_media_type_hook(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Postprocessing hook: problem bodies are served as application/problem+json."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                body = content.get("application/json")
                if body and body.get("schema", {}).get("$ref", "").endswith("/Problem"):
                    content["application/problem+json"] = content.pop("application/json")
    return result
