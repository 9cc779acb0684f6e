"""POST /api/v1/graphql/: one GraphQL request, with REST's credentials, roles and limits.

A DRF view, so authentication (API keys and JWTs), the per-credential rate limit and the
request log are REST's own; each field then checks its REST endpoint's permission. The
answers are GraphQL's (``{"data", "errors"}``), refusals of the request as a whole too: a
missing credential is 401 ``UNAUTHENTICATED``, a rate limit 429 ``RATE_LIMITED`` with
``Retry-After``, a body that is no GraphQL request 400 ``BAD_USER_INPUT``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from graphql import DocumentNode, GraphQLError, parse
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from strawberry.http.ides import get_graphql_ide_html

from lucro.core.errors import ApplicationError, problem_exception_handler
from lucro.graphql_api import limits
from lucro.graphql_api.context import AccountLoader, Context
from lucro.graphql_api.errors import (
    BAD_USER_INPUT,
    code_for_status,
    error_document,
    format_error,
)
from lucro.graphql_api.schema import schema
from lucro.tenancy.permissions import IsMember, by_method, request_principal

JSON_TYPES = ("application/json", "application/graphql-response+json")


def _refused(detail: str, status: int = 400) -> ApplicationError:
    return ApplicationError(detail, status=status, code="bad-graphql-request")


def _request_fields(request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
    """Return the query, variables and operation name of a POST body, or raise a 400."""
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES:
        raise _refused("Send the request as application/json.", status=415)
    body = request.body
    if len(body) > limits.MAX_BODY_BYTES:
        raise _refused(f"The body is over {limits.MAX_BODY_BYTES} bytes.", status=413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _refused("The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise _refused('Send {"query": "…", "variables": {…}, "operationName": "…"}.')
    query, variables, operation = (
        data.get("query"),
        data.get("variables"),
        data.get("operationName"),
    )
    if not isinstance(query, str) or not query.strip():
        raise _refused("query must be a non-empty string.")
    if len(query.encode()) > limits.MAX_QUERY_BYTES:
        raise _refused(f"The query is over {limits.MAX_QUERY_BYTES} bytes.")
    if variables is not None and not isinstance(variables, dict):
        raise _refused("variables must be an object.")
    if operation is not None and not isinstance(operation, str):
        raise _refused("operationName must be a string.")
    return query, variables, operation


@functools.lru_cache(maxsize=limits.CACHED_DOCUMENTS)
def _parsed(query: str) -> DocumentNode | None:
    """The query's document, kept per text as the schema's parser cache keeps its own (a
    mobile app sends the same few queries again and again); None: a syntax error."""
    try:
        return parse(query)
    except GraphQLError:
        return None


def _nodes_problem(
    query: str, variables: dict[str, Any] | None, operation: str | None
) -> str | None:
    document = _parsed(query)
    if document is None:
        return None  # the schema's execution reports the syntax error where it is
    nodes = limits.requested_nodes(document, variables, operation)
    if nodes > limits.MAX_NODES:
        return (
            f"The query asks for up to {nodes} nodes (each page's first times the first of "
            f"the pages above it); at most {limits.MAX_NODES} are allowed."
        )
    return None


class GraphQLApi(APIView):
    # Each field checks its own endpoint's capability; the request needs a caller (POST).
    # GET only serves GraphiQL, a page without data, where it is switched on.
    permission_classes = [by_method(GET=AllowAny, POST=IsMember)]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> HttpResponse:
        if not settings.GRAPHQL_IDE:
            raise _refused("Send GraphQL requests with POST.", status=405)
        return HttpResponse(get_graphql_ide_html(graphql_ide="graphiql"))

    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        query, variables, operation = _request_fields(request)
        problem = _nodes_problem(query, variables, operation)
        if problem is not None:
            return Response({"errors": [error_document(problem, BAD_USER_INPUT)]}, status=400)
        principal = request_principal(request)
        context = Context(
            request=request,
            view=self,
            principal=principal,
            accounts=AccountLoader(organization=principal.organization),
        )
        result = schema.execute_sync(
            query, variable_values=variables, context_value=context, operation_name=operation
        )
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [format_error(e) for e in result.errors]
        body["data"] = result.data
        # No data: the request never ran (a syntax error, a limit, a wrong variable).
        return Response(body, status=200 if result.data is not None else 400)

    def handle_exception(self, exc: Exception) -> Response:
        """Answer a refusal of the whole request (401, 429, a bad body) as a GraphQL error,
        with REST's status and headers (WWW-Authenticate, Retry-After)."""
        response = problem_exception_handler(exc, self.get_exception_handler_context())
        assert response is not None
        problem = response.data
        code = code_for_status(response.status_code)
        detail = problem.get("detail", "") if code != "INTERNAL_SERVER_ERROR" else ""
        body = {"errors": [error_document(detail or problem.get("title", "Error"), code)]}
        answer = Response(body, status=response.status_code)
        for name, value in response.items():
            if name.lower() in ("www-authenticate", "retry-after"):
                answer[name] = value
        return answer
