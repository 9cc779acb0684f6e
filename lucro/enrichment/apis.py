"""Categories, rules, retries and re-runs: thin views over selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import (
    CURSOR_PARAM,
    LIMIT_PARAM,
    NOT_JSON,
    UNAUTHORIZED,
    location_header,
    problem,
    uuid_path_param,
)
from lucro.core.pagination import paginate
from lucro.enrichment import selectors, services
from lucro.enrichment.serializers import (
    CategoryListOutSerializer,
    CategoryOutSerializer,
    RerunConflictSerializer,
    RerunInSerializer,
    RerunOutSerializer,
    RetryOutSerializer,
    RuleInSerializer,
    RuleListOutSerializer,
    RuleOutSerializer,
    RuleTestInSerializer,
    RuleTestOutSerializer,
)
from lucro.ingestion.models import batch_location
from lucro.ingestion.selectors import batch_get
from lucro.taxonomy.selectors import categories_list
from lucro.tenancy.authentication import request_organization
from lucro.tenancy.permissions import (
    CanConfigure,
    CanIngest,
    CanRead,
    by_method,
    request_principal,
)

INVALID = problem("Invalid request")
RULE_ID = uuid_path_param("rule_id", "The rule's id.")
NO_RULE = problem("No such rule (or another organization's)")
GLOBAL_RULE = problem("A global rule (read-only; create your own, it takes precedence)")


class CategoryListApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="categories_list",
        responses={200: CategoryListOutSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request: Request) -> Response:
        categories = categories_list()
        return Response({"results": CategoryOutSerializer(categories, many=True).data})


class RuleListCreateApi(APIView):
    permission_classes = [by_method(GET=CanRead, POST=CanConfigure)]

    @extend_schema(
        operation_id="rules_list",
        parameters=[LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: RuleListOutSerializer,
            400: problem("limit out of range, or a cursor this API did not issue"),
            401: UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> Response:
        rules = selectors.rules_visible(organization=request_organization(request))
        page, next_url = paginate(request, rules)
        return Response({"results": RuleOutSerializer(page, many=True).data, "next": next_url})

    @extend_schema(
        operation_id="rules_create",
        request=RuleInSerializer,
        parameters=[location_header(201, "The new rule's URL.")],
        responses={201: RuleOutSerializer, 400: INVALID, 401: UNAUTHORIZED, 415: NOT_JSON},
    )
    def post(self, request: Request) -> Response:
        data = RuleInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        principal = request_principal(request)
        rule = services.rule_create(
            organization=principal.organization, actor=principal, **data.validated_data
        )
        return Response(
            RuleOutSerializer(rule).data,
            status=201,
            headers={"Location": f"/api/v1/rules/{rule.id}/"},
        )


_RULE_UPDATE_RESPONSES = {
    200: RuleOutSerializer,
    400: INVALID,
    401: UNAUTHORIZED,
    403: GLOBAL_RULE,
    404: NO_RULE,
    415: NOT_JSON,
}


class RuleDetailApi(APIView):
    permission_classes = [
        by_method(GET=CanRead, PUT=CanConfigure, PATCH=CanConfigure, DELETE=CanConfigure)
    ]

    @extend_schema(
        operation_id="rules_detail",
        parameters=[RULE_ID],
        responses={200: RuleOutSerializer, 401: UNAUTHORIZED, 404: NO_RULE},
    )
    def get(self, request: Request, rule_id: str) -> Response:
        rule = selectors.rule_get(organization=request_organization(request), rule_id=rule_id)
        return Response(RuleOutSerializer(rule).data)

    def _update(self, request: Request, rule_id: str, partial: bool) -> Response:
        rule = selectors.rule_get(
            organization=request_organization(request), rule_id=rule_id, writable=True
        )
        data = RuleInSerializer(rule, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        rule = services.rule_update(
            rule=rule, data=data.validated_data, actor=request_principal(request)
        )
        return Response(RuleOutSerializer(rule).data)

    @extend_schema(
        operation_id="rules_update",
        request=RuleInSerializer,
        parameters=[RULE_ID],
        responses=_RULE_UPDATE_RESPONSES,
    )
    def put(self, request: Request, rule_id: str) -> Response:
        return self._update(request, rule_id, partial=False)

    @extend_schema(
        operation_id="rules_partial_update",
        request=RuleInSerializer,
        parameters=[RULE_ID],
        responses=_RULE_UPDATE_RESPONSES,
    )
    def patch(self, request: Request, rule_id: str) -> Response:
        return self._update(request, rule_id, partial=True)

    @extend_schema(
        operation_id="rules_delete",
        parameters=[RULE_ID],
        responses={204: None, 401: UNAUTHORIZED, 403: GLOBAL_RULE, 404: NO_RULE},
    )
    def delete(self, request: Request, rule_id: str) -> Response:
        rule = selectors.rule_get(
            organization=request_organization(request), rule_id=rule_id, writable=True
        )
        services.rule_delete(rule=rule, actor=request_principal(request))
        return Response(status=204)


class RuleTestApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="rules_test",
        request=RuleTestInSerializer,
        responses={200: RuleTestOutSerializer, 400: INVALID, 401: UNAUTHORIZED, 415: NOT_JSON},
    )
    def post(self, request: Request) -> Response:
        data = RuleTestInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = selectors.rule_test(
            organization=request_organization(request),
            description=data.validated_data.get("description"),
            merchant_name=data.validated_data.get("merchant_name"),
            amount=data.validated_data["amount"],
        )
        return Response(
            {
                "matched": rule is not None,
                "rule": RuleOutSerializer(rule).data if rule is not None else None,
                "category": (
                    {"slug": rule.category.slug, "name": rule.category.name}
                    if rule is not None
                    else None
                ),
            }
        )


class BatchRetryApi(APIView):
    permission_classes = [CanIngest]

    @extend_schema(
        operation_id="batch_retry",
        request=None,
        parameters=[
            uuid_path_param("batch_id", "The batch_id an ingest answered with."),
            location_header(202, "The batch's status URL."),
        ],
        responses={202: RetryOutSerializer, 401: UNAUTHORIZED, 404: problem("No such batch")},
    )
    def post(self, request: Request, batch_id: str) -> Response:
        batch = batch_get(organization=request_organization(request), batch_id=batch_id)
        count = services.batch_retry(batch=batch, actor=request_principal(request))
        location = batch_location(batch.id)
        return Response(
            {"batch_id": str(batch.id), "requeued": count, "links": {"self": location}},
            status=202,
            headers={"Location": location},
        )


class CategorisationRerunApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="categorisation_rerun",
        request=RerunInSerializer,
        responses={
            202: RerunOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            415: NOT_JSON,
            (409, "application/problem+json"): OpenApiResponse(
                RerunConflictSerializer,
                description="A re-run of an overlapping scope is still running (named).",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = RerunInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        principal = request_principal(request)
        job = services.categorisation_rerun(
            organization=principal.organization, actor=principal, **data.validated_data
        )
        location = batch_location(job.id)
        body = {
            "batch_id": job.id,
            "kind": job.kind,
            "status": job.status,
            "total_transactions": job.total_transactions,
            "scope": job.scope,
            "links": {"self": location},
        }
        return Response(RerunOutSerializer(body).data, status=202, headers={"Location": location})
