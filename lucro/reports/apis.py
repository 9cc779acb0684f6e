"""Report and transaction endpoints: parse (``params``), read (``selectors``), answer.

The 200 bodies are documented from the same TypedDicts the selectors return
(``responses.serializer_for``), so the schema is what the code sends.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import (
    CURSOR_PARAM,
    EMPTY_IS_ABSENT,
    LIMIT_PARAM,
    NOT_JSON,
    UNAUTHORIZED,
    date_param,
    problem,
    uuid_path_param,
)
from lucro.core.pagination import next_link
from lucro.ingestion.models import CategorySource, IngestionStatus
from lucro.reports import params, responses, selectors, services
from lucro.reports.responses import serializer_for
from lucro.taxonomy.serializers import category_slugs
from lucro.tenancy.authentication import request_organization
from lucro.tenancy.permissions import CanCategorise, CanRead, by_method, request_principal

# --- Reports -----------------------------------------------------------------------------

# Every report takes an inclusive date range (at most REPORT_MAX_RANGE_DAYS long, start not
# after end: rules between two parameters that OpenAPI cannot state, so they answer 400).
_RANGE = [
    date_param("start_date", required=True, description="First day, inclusive."),
    date_param("end_date", required=True, description="Last day, inclusive."),
]


def _choice_param(name: str, choices: tuple[str, ...], default: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        enum=list(choices),
        default=default,
        description=f"{what}; default {default}.",
        extensions=EMPTY_IS_ABSENT,
    )


_LEVEL = _choice_param("level", params.LEVELS, "primary", "Group by primary or detailed category")
_ERRORS = {
    400: problem(
        "Missing or malformed dates, start after end, range too long, an unknown level/interval"
    ),
    401: UNAUTHORIZED,
    404: problem("No such account (or another organization's)"),
}


class AccountSummaryApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_summary",
        parameters=[*_RANGE, _LEVEL],
        responses={200: serializer_for(responses.AccountSummary), **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = params.parse_range(request.query_params)
        level = params.parse_level(request.query_params)
        return Response(
            selectors.account_summary(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                level=level,
            )
        )


class AccountCategoriesApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_categories",
        parameters=[
            *_RANGE,
            _choice_param(
                "level", params.LEVELS, "detailed", "Group by detailed or primary category"
            ),
        ],
        responses={200: serializer_for(responses.CategoryBreakdown), **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = params.parse_range(request.query_params)
        level = params.parse_level(request.query_params, default="detailed")
        return Response(
            selectors.account_categories(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                level=level,
            )
        )


class AccountTimeseriesApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="account_timeseries",
        parameters=[*_RANGE, _choice_param("interval", params.INTERVALS, "day", "Period length")],
        responses={200: serializer_for(responses.Timeseries), **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = params.parse_range(request.query_params)
        interval = params.parse_interval(request.query_params)
        return Response(
            selectors.account_timeseries(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                interval=interval,
            )
        )


class OrganizationSummaryApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="organization_summary",
        parameters=[*_RANGE, _LEVEL],
        responses={
            200: serializer_for(responses.OrganizationSummary),
            400: _ERRORS[400],
            401: _ERRORS[401],
        },
    )
    def get(self, request: Request) -> Response:
        span = params.parse_range(request.query_params)
        level = params.parse_level(request.query_params)
        return Response(
            selectors.organization_summary(
                organization=request_organization(request), span=span, level=level
            )
        )


# --- Transactions ------------------------------------------------------------------------

_LIST_PARAMS = [
    OpenApiParameter("account_id", str, description="The account's external id."),
    date_param("start_date", required=False, description="First day, inclusive."),
    date_param("end_date", required=False, description="Last day, inclusive."),
    OpenApiParameter(
        "category",
        str,
        enum=category_slugs(),
        description="A category slug; a primary slug matches its detailed categories too.",
        extensions=EMPTY_IS_ABSENT,
    ),
    OpenApiParameter("status", str, enum=IngestionStatus.values),
    OpenApiParameter(
        "source", str, enum=CategorySource.values, description="How the category was set."
    ),
    OpenApiParameter(
        "min_amount",
        OpenApiTypes.NUMBER,
        description="Signed decimal (negative = money out).",
        extensions=EMPTY_IS_ABSENT,
    ),
    OpenApiParameter(
        "max_amount", OpenApiTypes.NUMBER, description="Signed decimal.", extensions=EMPTY_IS_ABSENT
    ),
    OpenApiParameter("search", str, description="Substring of description or merchant."),
    LIMIT_PARAM,
    CURSOR_PARAM,
]
TRANSACTION_PK = uuid_path_param("transaction_pk", "The transaction's Lucro id (its `id`).")
NO_TRANSACTION = problem("No such transaction (or another organization's)")
TRANSACTION = serializer_for(responses.Transaction)


class TransactionListApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="transaction_list",
        parameters=_LIST_PARAMS,
        responses={
            200: serializer_for(responses.TransactionPage),
            400: problem("A malformed or unknown filter value, limit or cursor"),
            401: UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> Response:
        filters, page_params = params.parse_transaction_list(request.query_params)
        page = selectors.transaction_list(
            organization=request_organization(request), filters=filters, page=page_params
        )
        body: responses.TransactionPage = {
            "results": page.results,
            "next": next_link(request, page.next_cursor),
        }
        return Response(body)


class TransactionDetailApi(APIView):
    permission_classes = [by_method(GET=CanRead, PATCH=CanCategorise)]

    @extend_schema(
        operation_id="transaction_detail",
        parameters=[TRANSACTION_PK],
        responses={200: TRANSACTION, 401: UNAUTHORIZED, 404: NO_TRANSACTION},
    )
    def get(self, request: Request, transaction_pk: str) -> Response:
        return Response(
            selectors.transaction_get(
                organization=request_organization(request), transaction_pk=transaction_pk
            )
        )

    @extend_schema(
        operation_id="transaction_categorise",
        request=params.CategoryPatchSerializer,
        parameters=[TRANSACTION_PK],
        responses={
            200: TRANSACTION,
            400: problem("Malformed JSON, no category, or an unknown one"),
            401: UNAUTHORIZED,
            404: NO_TRANSACTION,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request, transaction_pk: str) -> Response:
        principal = request_principal(request)
        organization = principal.organization
        services.transaction_category_change(
            actor=principal,
            transaction_pk=transaction_pk,
            category_slug=params.parse_category_patch(request.data),
        )
        return Response(
            selectors.transaction_get(organization=organization, transaction_pk=transaction_pk)
        )
