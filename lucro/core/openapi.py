"""Shared OpenAPI pieces: the problem+json error body."""

from __future__ import annotations

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
