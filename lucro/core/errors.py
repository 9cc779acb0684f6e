"""RFC 9457 problem details: one error type for the application and one DRF handler.

Every error the API returns, whatever raised it, leaves through ``problem_exception_handler``
as ``application/problem+json`` with ``type``, ``title``, ``status`` and ``detail``; validation
errors add ``errors``, a list of ``{"pointer": "/transactions/3/amount", "detail": …}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DataError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://lucro.dev/problems/"

logger = structlog.get_logger(__name__)


class ApplicationError(Exception):
    """An error the API reports to its caller as a problem document."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        errors: Sequence[Mapping[str, str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        self.errors = list(errors or [])
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def as_problem(self) -> dict[str, Any]:
        """Return the problem document for this error."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationFailed(ApplicationError):
    status = 400
    code = "validation-error"
    title = "Invalid request"


class NotFound(ApplicationError):
    status = 404
    code = "not-found"
    title = "Not found"


class Unauthorized(ApplicationError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(ApplicationError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(ApplicationError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(ApplicationError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class ServiceUnavailable(ApplicationError):
    """A transient failure the caller should retry after ``retry_after`` seconds."""

    status = 503
    code = "service-unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


def transient_db_error(exc: BaseException) -> str | None:
    """Return why ``exc`` is a database error worth retrying, or None if it is not.

    PostgreSQL's deadlock (40P01), serialization (40001) and lock-timeout (55P03) failures
    abort only the transaction that got them: the same work, run again, normally commits.
    SQLite's "database is locked" is its busy timeout running out behind another writer.
    """
    if not isinstance(exc, OperationalError):
        return None
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate == "40P01":
        return "deadlock"
    if sqlstate == "40001":
        return "serialization"
    if sqlstate == "55P03" or "database is locked" in str(exc):
        return "lock-timeout"
    return None


def pointer_escape(token: str | int) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def drf_detail_to_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten DRF's nested error details into a list of JSON-pointer errors."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            if key == "non_field_errors":
                out.extend(drf_detail_to_errors(value, prefix))
            else:
                out.extend(drf_detail_to_errors(value, f"{prefix}/{pointer_escape(key)}"))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"pointer": prefix or "", "detail": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out.extend(drf_detail_to_errors(item, f"{prefix}/{index}"))
        return out
    return [{"pointer": prefix or "", "detail": str(detail)}]


def problem_response(error: ApplicationError, headers: Mapping[str, str] | None = None) -> Response:
    """Return a DRF response carrying ``error`` as problem+json."""
    response = Response(error.as_problem(), status=error.status, headers=dict(headers or {}))
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _from_drf(exc: drf_exceptions.APIException) -> ApplicationError:
    status = exc.status_code
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = drf_detail_to_errors(exc.detail)
        return ValidationFailed(
            f"{len(errors)} field(s) are invalid." if errors else "The request is invalid.",
            errors=errors,
        )
    if isinstance(exc, drf_exceptions.ParseError):
        return ApplicationError(
            str(exc.detail), status=400, code="malformed-body", title="Malformed request body"
        )
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return UnsupportedMediaType(str(exc.detail))
    if isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
        return Unauthorized(str(exc.detail))
    if isinstance(exc, drf_exceptions.PermissionDenied):
        return Forbidden(str(exc.detail))
    if isinstance(exc, drf_exceptions.NotFound):
        return NotFound(str(exc.detail))
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return ApplicationError(
            str(exc.detail), status=405, code="method-not-allowed", title="Method not allowed"
        )
    if isinstance(exc, drf_exceptions.NotAcceptable):
        return ApplicationError(
            str(exc.detail), status=406, code="not-acceptable", title="Not acceptable"
        )
    if isinstance(exc, drf_exceptions.Throttled):
        return ApplicationError(
            str(exc.detail), status=429, code="throttled", title="Too many requests"
        )
    return ApplicationError(str(exc.detail), status=status, code="error", title="Error")


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """Turn any exception raised in a DRF view into a problem+json response.

    Unexpected exceptions are logged with their traceback and answered with a generic 500
    problem document: the caller never sees a traceback.
    """
    # Imported here: rest_framework.views loads the default throttle class as it defines
    # APIView, and that class (lucro.core.ratelimit) raises an ApplicationError of this module.
    from rest_framework.views import set_rollback

    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        error = exc
    elif isinstance(exc, Http404):
        error = NotFound("The resource does not exist.")
    elif isinstance(exc, PermissionDenied):
        error = Forbidden("Permission denied.")
    elif isinstance(exc, RequestDataTooBig):
        # Raised by ``request.body`` past DATA_UPLOAD_MAX_MEMORY_SIZE, inside the view.
        error = PayloadTooLarge("The request body is too large.")
    elif isinstance(exc, SuspiciousOperation):
        # What Django itself answers 400 outside a view (too many fields, a bad header).
        logger.warning("suspicious_request", error=type(exc).__name__)
        error = ApplicationError("The request is malformed.", status=400)
    elif isinstance(exc, DataError):
        # A value the database cannot hold (a NUL byte in text on PostgreSQL, a number out
        # of range) that slipped past a serializer: the caller's input, not our failure.
        logger.warning("data_error", error=str(exc).splitlines()[0])
        error = ValidationFailed(
            "A value in the request cannot be stored (for example a NUL "
            "character or an out-of-range number)."
        )
    elif transient_db_error(exc) is not None:
        # A deadlock or lock timeout outside a retrying service: the caller may retry.
        logger.warning("transient_db_error", error=str(exc).splitlines()[0])
        error = ServiceUnavailable("The database is busy; retry the request shortly.")
    elif isinstance(exc, drf_exceptions.APIException):
        error = _from_drf(exc)
        if isinstance(exc, (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Token realm="api", Bearer realm="api"'
        wait = getattr(exc, "wait", None)
        if wait:
            headers["Retry-After"] = str(int(wait))
    else:
        logger.exception("unhandled_error", error=type(exc).__name__)
        error = ApplicationError(
            "An unexpected error occurred.",
            status=500,
            code="internal-error",
            title="Internal server error",
        )
    set_rollback()
    request = context.get("request")
    if request is not None:
        # A problem is JSON whatever the view renders otherwise (the schema's YAML, the docs
        # page's HTML) and whatever the Accept header asked for (a 406 included).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return problem_response(error, {**error.headers, **headers})


def problem_json_response(error: ApplicationError) -> JsonResponse:
    """Return a plain Django response (for code outside DRF views, e.g. handlers)."""
    response = JsonResponse(
        error.as_problem(), status=error.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in error.headers.items():
        response[name] = value
    return response
