"""GraphQL errors: every one carries ``extensions.code``, none a traceback.

The application raises the same ``ApplicationError``s under GraphQL as under REST; here
they become GraphQL errors whose code follows their HTTP status (a 404 is ``NOT_FOUND``,
a 400 ``BAD_USER_INPUT`` with the pointers of its field errors, in the GraphQL names).
Anything else is logged with its traceback and answered ``INTERNAL_SERVER_ERROR`` with
the request id, so an operator can find it and a caller learns nothing of the inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from django.db import DataError
from graphql import GraphQLError

from lucro.core.context import current_request_id
from lucro.core.errors import ApplicationError

logger = structlog.get_logger(__name__)

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
RATE_LIMITED = "RATE_LIMITED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

# The code of an ApplicationError by its HTTP status; other 4xx are the caller's input.
_BY_STATUS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 429: RATE_LIMITED}


def code_for_status(status: int) -> str:
    if status >= 500:
        return INTERNAL_SERVER_ERROR
    return _BY_STATUS.get(status, BAD_USER_INPUT)


def camel(name: str) -> str:
    """Return a REST (snake_case) name as GraphQL spells it (camelCase)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def pointer_for_graphql(
    pointer: str, prefix: str = "", renames: Mapping[str, str] | None = None
) -> str:
    """Return a REST JSON pointer (``/start_date``) in GraphQL's names (``/filter/startDate``);
    ``renames``: REST names whose GraphQL argument is another (``budget`` → ``budgetId``)."""
    renames = renames or {}
    parts = [renames.get(part, camel(part)) for part in pointer.split("/")[1:] if part]
    return prefix + "".join(f"/{part}" for part in parts)


def bad_input(
    error: ApplicationError, prefix: str = "", renames: Mapping[str, str] | None = None
) -> ApplicationError:
    """Return ``error`` (a 400 of the REST validation) with its pointers in GraphQL's names,
    under ``prefix`` (the argument that held the input: ``/filter``, ``/input``)."""
    errors = [
        {**e, "pointer": pointer_for_graphql(e.get("pointer", ""), prefix, renames)}
        for e in error.errors
    ]
    return ApplicationError(error.detail, status=400, code=error.code, errors=errors)


def error_document(
    message: str, code: str, *, errors: Iterable[Mapping[str, str]] = (), **extra: Any
) -> dict[str, Any]:
    """Return one GraphQL error (``{"message", "extensions": {"code", …}}``)."""
    extensions: dict[str, Any] = {"code": code, **extra}
    listed = list(errors)
    if listed:
        extensions["errors"] = listed
    return {"message": message, "extensions": extensions}


def format_error(error: GraphQLError) -> dict[str, Any]:
    """Return the document of an error of execution or validation, masked if unexpected."""
    original = error.original_error
    body: dict[str, Any] = dict(error.formatted)
    body.pop("extensions", None)
    if original is None:
        # A syntax or validation error (unknown field, a limit, a wrong argument type): the
        # query itself is wrong; graphql-core's message names the place and is safe to show.
        body["extensions"] = {"code": BAD_USER_INPUT}
        return body
    if isinstance(original, ApplicationError):
        extensions: dict[str, Any] = {"code": code_for_status(original.status)}
        if original.errors:
            extensions["errors"] = original.errors
        body["message"] = original.detail
        body["extensions"] = extensions
        return body
    if isinstance(original, DataError):
        # A value the database cannot hold (a NUL character in text on PostgreSQL) that no
        # parser refused: the caller's input, as REST answers it.
        logger.warning("data_error", error=str(original).splitlines()[0])
        body["message"] = "A value in the request cannot be stored or searched for."
        body["extensions"] = {"code": BAD_USER_INPUT}
        return body
    request_id = current_request_id()
    logger.error(
        "graphql_unhandled_error",
        error=type(original).__name__,
        path=error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    body["message"] = "An unexpected error occurred."
    body["extensions"] = {"code": INTERNAL_SERVER_ERROR, "requestId": request_id}
    return body
