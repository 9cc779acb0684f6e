"""Report endpoints: account summary, categories, time series, organization summary."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import problem
from lucro.reports import selectors
from lucro.reports.serializers import (
    AccountSummarySerializer,
    CategoryBreakdownSerializer,
    OrganizationSummarySerializer,
    TimeseriesSerializer,
)
from lucro.tenancy.authentication import request_organization

_RANGE = [
    OpenApiParameter("start_date", str, required=True, description="YYYY-MM-DD, inclusive."),
    OpenApiParameter("end_date", str, required=True, description="YYYY-MM-DD, inclusive."),
]
_LEVEL = OpenApiParameter(
    "level",
    str,
    enum=list(selectors.LEVELS),
    required=False,
    description="Group by primary (default) or detailed category.",
)
_ERRORS = {
    400: problem("Missing or malformed dates, start after end, range too long"),
    401: problem("No or bad credentials"),
    404: problem("No such account"),
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
            OpenApiParameter(
                "level",
                str,
                enum=list(selectors.LEVELS),
                required=False,
                description="Group by detailed (default) or primary category.",
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
            OpenApiParameter(
                "interval",
                str,
                enum=list(selectors.INTERVALS),
                required=False,
                description="Period length; default day.",
            ),
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
