"""Shared OpenAPI pieces: problem responses, the parameters several operations take, hooks.

Each piece is defined once and reused by every operation that has it, so the schema cannot
say ``limit`` is 1–500 on one list and unbounded on another. The bounds are the ones the
parsers enforce (``lucro.core.params``, the paginator); ``lucro/ops/tests/test_schema.py``
checks that they still agree.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers

from lucro.core import pagination
from lucro.core.params import DATE_MAX, DATE_MIN, plain_decimal
from lucro.core.ratelimit import PolicyThrottle

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


# --- Problems every operation of a kind can answer ----------------------------------------

UNAUTHORIZED = problem("No API key, or one that is unknown, revoked or malformed")
FORBIDDEN = problem("The caller's role (or API key) lacks this right in its organization")
# Any operation whose body DRF's JSON parser reads: a body that is not JSON is a 400
# (malformed-body), a Content-Type that is not JSON a 415.
NOT_JSON = problem("The Content-Type is not application/json")
# Ingest's own 503: the deadlock/serialization retry budget of the batch ran out (with its
# idempotency key the same request is safe to send again).
UNAVAILABLE = problem("The write could not commit after its retries; try again after Retry-After")

# The name of the API-key security scheme. The extension that documents it lives with the
# authentication class (lucro.tenancy.openapi); the name is here because core, the bottom
# layer, must recognise the operations behind the key without importing tenancy.
API_KEY_SCHEME = "ApiKeyAuth"

# What every operation behind the API key can answer, whatever its view does: the exception
# handler (lucro.core.errors) turns a missing or bad key into 401 + WWW-Authenticate, and a
# transient database error (deadlock, lock timeout) into 503 + Retry-After. LucroAutoSchema
# adds both to each such operation, with their headers.
_AUTHENTICATED_ANSWERS: dict[str, tuple[OpenApiResponse, str, dict[str, Any]]] = {
    "401": (
        UNAUTHORIZED,
        "WWW-Authenticate",
        {
            "schema": {"type": "string"},
            "description": 'How to authenticate: Token realm="api", Bearer realm="api".',
            "required": True,
        },
    ),
    "503": (
        problem("The database was busy (a deadlock or a lock timeout); retry after Retry-After"),
        "Retry-After",
        {
            "schema": {"type": "integer", "minimum": 0},
            "description": "Seconds to wait before sending the same request again.",
            "required": True,
        },
    ),
}


# The IETF httpapi draft's fields (lucro.core.ratelimit), on every answer of a rate-limited
# operation. Not required on successes: a counter store that cannot be reached lets the
# request through without them.
_RATE_LIMIT_FIELDS: dict[str, dict[str, Any]] = {
    "RateLimit-Policy": {
        "schema": {"type": "string"},
        "description": (
            'The quota policies this request counts against, e.g. "default";q=1200;w=60 '
            "(q requests per w seconds)."
        ),
    },
    "RateLimit": {
        "schema": {"type": "string"},
        "description": (
            'What is left of each policy\'s quota, e.g. "default";r=1187;t=17 (r more '
            "requests in the t seconds before the window ends)."
        ),
    },
}
RATE_LIMITED = problem(
    "Too many requests in this window (see RateLimit); retry after Retry-After seconds"
)
_RATE_LIMITED_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds until the window ends and the quota is restored.",
        "required": True,
    },
    **{name: {**field, "required": True} for name, field in _RATE_LIMIT_FIELDS.items()},
}


def location_header(status: int, description: str) -> OpenApiParameter:
    """Return the ``Location`` response header of a ``status`` answer."""
    return OpenApiParameter(
        "Location",
        str,
        OpenApiParameter.HEADER,
        required=True,
        response=[status],
        description=description,
    )


# --- Parameters ---------------------------------------------------------------------------

# OpenAPI 3.0 has no bounds for a date string; the pattern keeps the year within
# [DATE_MIN, DATE_MAX] (1900–2100), which the parsers enforce (a date outside is a 400).
DATE_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DATE_RANGE_TEXT = f"between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}"


# drf-spectacular has no keyword for allowEmptyValue; LucroAutoSchema turns this marker
# into it. For the optional parameters whose parser takes ``?name=`` as "not sent".
EMPTY_IS_ABSENT = {"x-empty-is-absent": True}


def date_param(name: str, *, required: bool, description: str) -> OpenApiParameter:
    """Return a ``YYYY-MM-DD`` query parameter within the dates Lucro accepts."""
    return OpenApiParameter(
        name,
        OpenApiTypes.DATE,
        required=required,
        pattern=DATE_PATTERN,
        description=f"{description} YYYY-MM-DD, {_DATE_RANGE_TEXT}.",
        extensions=None if required else EMPTY_IS_ABSENT,
    )


# What every cursor-paginated list accepts: the paginator's own bounds (lucro.core.pagination),
# so the schema and the parser cannot drift apart.
LIMIT_PARAM = OpenApiParameter(
    "limit",
    {
        "type": "integer",
        "minimum": pagination.MIN_LIMIT,
        "maximum": pagination.MAX_LIMIT,
        "default": pagination.DEFAULT_LIMIT,
    },
    description=f"Rows per page, {pagination.MIN_LIMIT} to {pagination.MAX_LIMIT}.",
    extensions=EMPTY_IS_ABSENT,
)
CURSOR_PARAM = OpenApiParameter(
    "cursor",
    str,
    description="Opaque: copy it from the previous page's `next` link (any other value is a 400).",
    extensions=EMPTY_IS_ABSENT,
)


def uuid_path_param(name: str, description: str) -> OpenApiParameter:
    """Return a path parameter holding a Lucro id (a UUID; anything else is a 404)."""
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=description)


# --- Body fields --------------------------------------------------------------------------

# An amount is a JSON number or a plain decimal string, as SPEC §4 says; at most 15 digits
# before the point and 4 after (NUMERIC(19, 4)).
PLAIN_DECIMAL = r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$"
AMOUNT_SCHEMA: dict[str, Any] = {
    "oneOf": [{"type": "number"}, {"type": "string", "pattern": PLAIN_DECIMAL}],
    "description": "Signed decimal, a JSON number or a decimal string; negative is money out.",
}


@extend_schema_field(AMOUNT_SCHEMA)
class AmountField(serializers.DecimalField):
    """A decimal amount of a request body, a JSON number or a plain decimal string.

    DRF's DecimalField also takes " 5 " or "1e3"; the schema (and ingestion) do not.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 19)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and plain_decimal(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class LucroAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with distinct operation ids for the unversioned aliases.

    ``/api/integrations/transactions/`` and friends serve the same views as their
    ``/api/v1/`` twins; their operations get a ``_legacy`` suffix instead of a numeral.
    Parameters marked EMPTY_IS_ABSENT get ``allowEmptyValue``; operations behind the API key
    get the 401 and 503 every one of them can answer; rate-limited operations (a view with
    a ``PolicyThrottle``) get the 429 and the RateLimit fields of their answers.
    """

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        module = type(self.view).__module__
        if (
            self.path.startswith("/api/")
            and not self.path.startswith("/api/v1/")
            and not module.startswith("lucro.ops")
        ):
            suffix = "_legacy" if self.path.endswith("/") else "_legacy_noslash"
            operation["operationId"] = f"{operation['operationId']}{suffix}"
        for parameter in operation.get("parameters", []):
            if parameter.pop("x-empty-is-absent", False):
                parameter["allowEmptyValue"] = True
        if {API_KEY_SCHEME: []} in operation.get("security", []):
            self._add_authenticated_answers(operation["responses"])
        if any(issubclass(throttle, PolicyThrottle) for throttle in self.view.throttle_classes):
            self._add_rate_limit_answers(operation["responses"])
        return operation

    def _add_rate_limit_answers(self, responses: dict[str, Any]) -> None:
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {}).update(_RATE_LIMIT_FIELDS)
        if "429" not in responses:
            ref = self.resolve_serializer(RATE_LIMITED.response, "response").ref
            responses["429"] = {
                "description": RATE_LIMITED.description,
                "content": {"application/json": {"schema": ref}},
            }
        responses["429"].setdefault("headers", {}).update(_RATE_LIMITED_HEADERS)
        ordered = dict(sorted(responses.items()))
        responses.clear()
        responses.update(ordered)

    def _add_authenticated_answers(self, responses: dict[str, Any]) -> None:
        for status, (answer, header, header_schema) in _AUTHENTICATED_ANSWERS.items():
            if status not in responses:
                ref = self.resolve_serializer(answer.response, "response").ref
                responses[status] = {
                    "description": answer.description,
                    "content": {"application/json": {"schema": ref}},
                }
            responses[status].setdefault("headers", {})[header] = header_schema
        ordered = dict(sorted(responses.items()))
        responses.clear()
        responses.update(ordered)


# --- Postprocessing hooks -----------------------------------------------------------------


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
