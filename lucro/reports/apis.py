"""Report endpoints: account summary, categories, time series, organization summary."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import (
    EMPTY_IS_ABSENT,
    UNAUTHORIZED,
    date_param,
    problem,
)
from lucro.reports import selectors
from lucro.reports.serializers import (
    AccountSummarySerializer,
    CategoryBreakdownSerializer,
    OrganizationSummarySerializer,
    TimeseriesSerializer,
)
from lucro.tenancy.authentication import request_organization

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


_LEVEL = _choice_param(
    "level", selectors.LEVELS, "primary", "Group by primary or detailed category"
)
_ERRORS = {
    400: problem(
        "Missing or malformed dates, start after end, range too long, an unknown level/interval"
    ),
    401: UNAUTHORIZED,
    404: problem("No such account (or another organization's)"),
}


class AccountSummaryApi(APIView):
    @extend_schema(
        operation_id="account_summary",
        parameters=[*_RANGE, _LEVEL],
        responses={200: AccountSummarySerializer, **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = selectors.parse_range(request.query_params)
        level = selectors.parse_level(request.query_params)
        return Response(
            selectors.account_summary(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                level=level,
            )
        )


class AccountCategoriesApi(APIView):
    @extend_schema(
        operation_id="account_categories",
        parameters=[
            *_RANGE,
            _choice_param(
                "level", selectors.LEVELS, "detailed", "Group by detailed or primary category"
            ),
        ],
        responses={200: CategoryBreakdownSerializer, **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = selectors.parse_range(request.query_params)
        params = request.query_params
        level = selectors.parse_level({"level": params.get("level") or "detailed"})
        return Response(
            selectors.account_categories(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                level=level,
            )
        )


class AccountTimeseriesApi(APIView):
    @extend_schema(
        operation_id="account_timeseries",
        parameters=[
            *_RANGE,
            _choice_param("interval", selectors.INTERVALS, "day", "Period length"),
        ],
        responses={200: TimeseriesSerializer, **_ERRORS},
    )
    def get(self, request: Request, account_id: str) -> Response:
        span = selectors.parse_range(request.query_params)
        interval = selectors.parse_interval(request.query_params)
        return Response(
            selectors.account_timeseries(
                organization=request_organization(request),
                account_id=account_id,
                span=span,
                interval=interval,
            )
        )


class OrganizationSummaryApi(APIView):
    @extend_schema(
        operation_id="organization_summary",
        parameters=[*_RANGE, _LEVEL],
        responses={200: OrganizationSummarySerializer, 400: _ERRORS[400], 401: _ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        span = selectors.parse_range(request.query_params)
        level = selectors.parse_level(request.query_params)
        return Response(
            selectors.organization_summary(
                organization=request_organization(request), span=span, level=level
            )
        )
