"""Budgets and alerts over REST (SPEC §12): thin views over selectors and services."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.budgets import selectors, services
from lucro.budgets.params import parse_alert_filters, parse_status_date
from lucro.budgets.serializers import (
    AlertListOutSerializer,
    AlertOutSerializer,
    BudgetInSerializer,
    BudgetListOutSerializer,
    BudgetOutSerializer,
    BudgetStatusSerializer,
)
from lucro.core.openapi import (
    CURSOR_PARAM,
    EMPTY_IS_ABSENT,
    FORBIDDEN,
    LIMIT_PARAM,
    NOT_JSON,
    UNAUTHORIZED,
    date_param,
    location_header,
    problem,
    uuid_path_param,
)
from lucro.core.pagination import paginate
from lucro.core.parsers import DecimalJSONParser
from lucro.tenancy.authentication import request_organization
from lucro.tenancy.permissions import (
    CanCategorise,
    CanConfigure,
    CanRead,
    by_method,
    request_principal,
)

INVALID = problem("Invalid request (each problem named by a JSON pointer)")
BUDGET_ID = uuid_path_param("budget_id", "The budget's id.")
ALERT_ID = uuid_path_param("alert_id", "The alert's id.")
NO_BUDGET = problem("No such budget (or another organization's)")
NO_ALERT = problem("No such alert (or another organization's)")


class BudgetListCreateApi(APIView):
    permission_classes = [by_method(GET=CanRead, POST=CanConfigure)]
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        operation_id="budgets_list",
        parameters=[LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: BudgetListOutSerializer,
            400: problem("limit out of range, or a cursor this API did not issue"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        budgets = selectors.budget_list(organization=request_organization(request))
        page, next_url = paginate(request, budgets)
        return Response({"results": BudgetOutSerializer(page, many=True).data, "next": next_url})

    @extend_schema(
        operation_id="budgets_create",
        request=BudgetInSerializer,
        parameters=[location_header(201, "The new budget's URL.")],
        responses={
            201: BudgetOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            415: NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data = BudgetInSerializer(data=request.data, organization=principal.organization)
        data.is_valid(raise_exception=True)
        budget = services.budget_create(
            organization=principal.organization, actor=principal, **data.validated_data
        )
        return Response(
            BudgetOutSerializer(budget).data,
            status=201,
            headers={"Location": f"/api/v1/budgets/{budget.id}/"},
        )


class BudgetDetailApi(APIView):
    permission_classes = [by_method(GET=CanRead, PATCH=CanConfigure, DELETE=CanConfigure)]
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        operation_id="budgets_detail",
        parameters=[BUDGET_ID],
        responses={200: BudgetOutSerializer, 401: UNAUTHORIZED, 404: NO_BUDGET},
    )
    def get(self, request: Request, budget_id: str) -> Response:
        budget = selectors.budget_get(
            organization=request_organization(request), budget_id=budget_id
        )
        return Response(BudgetOutSerializer(budget).data)

    @extend_schema(
        operation_id="budgets_partial_update",
        request=BudgetInSerializer,
        parameters=[BUDGET_ID],
        responses={
            200: BudgetOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NO_BUDGET,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request, budget_id: str) -> Response:
        principal = request_principal(request)
        budget = selectors.budget_get(organization=principal.organization, budget_id=budget_id)
        data = BudgetInSerializer(
            budget, data=request.data, partial=True, organization=principal.organization
        )
        data.is_valid(raise_exception=True)
        budget = services.budget_update(budget=budget, data=data.validated_data, actor=principal)
        return Response(BudgetOutSerializer(budget).data)

    @extend_schema(
        operation_id="budgets_delete",
        parameters=[BUDGET_ID],
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_BUDGET},
    )
    def delete(self, request: Request, budget_id: str) -> Response:
        principal = request_principal(request)
        budget = selectors.budget_get(organization=principal.organization, budget_id=budget_id)
        services.budget_delete(budget=budget, actor=principal)
        return Response(status=204)


class BudgetStatusApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="budgets_status",
        parameters=[
            BUDGET_ID,
            date_param(
                "date", required=False, description="A day of the period (default: today, UTC)."
            ),
        ],
        responses={
            200: BudgetStatusSerializer,
            400: problem("A malformed date"),
            401: UNAUTHORIZED,
            404: NO_BUDGET,
        },
    )
    def get(self, request: Request, budget_id: str) -> Response:
        day = parse_status_date(request.query_params, today=timezone.now().date())
        status = selectors.budget_status_cached(
            organization=request_organization(request), budget_id=budget_id, day=day
        )
        return Response(status)


class AlertListApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="alerts_list",
        parameters=[
            OpenApiParameter(
                "budget",
                OpenApiTypes.UUID,
                description="Only this budget's alerts (its id).",
                extensions=EMPTY_IS_ABSENT,
            ),
            OpenApiParameter(
                "unread",
                bool,
                description="true: unread only; false: read only.",
                extensions=EMPTY_IS_ABSENT,
            ),
            LIMIT_PARAM,
            CURSOR_PARAM,
        ],
        responses={
            200: AlertListOutSerializer,
            400: problem("A malformed filter, limit or cursor"),
            401: UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> Response:
        filters = parse_alert_filters(request.query_params)
        alerts = selectors.alert_list(
            organization=request_organization(request),
            budget_id=filters.budget,
            unread=filters.unread,
        )
        page, next_url = paginate(request, alerts)
        return Response({"results": [services.alert_doc(a) for a in page], "next": next_url})


class AlertReadApi(APIView):
    permission_classes = [CanCategorise]

    @extend_schema(
        operation_id="alerts_mark_read",
        request=None,
        parameters=[ALERT_ID],
        responses={200: AlertOutSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_ALERT},
    )
    def post(self, request: Request, alert_id: str) -> Response:
        alert = selectors.alert_get(organization=request_organization(request), alert_id=alert_id)
        return Response(services.alert_doc(services.alert_mark_read(alert=alert)))
