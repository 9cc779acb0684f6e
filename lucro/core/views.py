"""Problem+json answers for requests that never reach a DRF view."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from lucro.core.errors import ApplicationError, Forbidden, NotFound, problem_json_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_json_response(NotFound(f"No resource at {request.path}."))


def server_error(request: HttpRequest) -> JsonResponse:
    return problem_json_response(
        ApplicationError(
            "An unexpected error occurred.",
            status=500,
            code="internal-error",
            title="Internal server error",
        )
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_json_response(ApplicationError("Bad request.", status=400))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_json_response(Forbidden("Permission denied."))
