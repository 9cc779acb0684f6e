"""The audit log over REST (SPEC §9): owners and admins read their organization's."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.audit import params, selectors
from lucro.audit.serializers import AuditEventOutSerializer, AuditListOutSerializer
from lucro.core.openapi import CURSOR_PARAM, EMPTY_IS_ABSENT, LIMIT_PARAM, UNAUTHORIZED, problem
from lucro.core.pagination import next_link
from lucro.tenancy.permissions import CanManage, request_principal

_TIMESTAMP = "An ISO 8601 timestamp with a UTC offset (dates 1900–2100)"
_LIST_PARAMS = [
    OpenApiParameter(
        "action",
        str,
        description="Only this action, e.g. auth.login_failed or rule.updated.",
        extensions=EMPTY_IS_ABSENT,
    ),
    OpenApiParameter(
        "since",
        OpenApiTypes.DATETIME,
        description=f"Events at or after this time. {_TIMESTAMP}.",
        extensions=EMPTY_IS_ABSENT,
    ),
    OpenApiParameter(
        "until",
        OpenApiTypes.DATETIME,
        description=f"Events before this time. {_TIMESTAMP}.",
        extensions=EMPTY_IS_ABSENT,
    ),
    LIMIT_PARAM,
    CURSOR_PARAM,
]


class AuditListApi(APIView):
    """The organization's audit events, newest first."""

    permission_classes = [CanManage]

    @extend_schema(
        operation_id="audit_list",
        parameters=_LIST_PARAMS,
        responses={
            200: AuditListOutSerializer,
            400: problem("A malformed filter, limit or cursor"),
            401: UNAUTHORIZED,
            403: problem("Not an owner or an admin (API keys never read the audit log)"),
        },
    )
    def get(self, request: Request) -> Response:
        filters, page_params = params.parse_audit_list(request.query_params)
        page = selectors.audit_page(
            organization=request_principal(request).organization,
            filters=filters,
            page=page_params,
        )
        return Response(
            {
                "results": AuditEventOutSerializer(page.results, many=True).data,
                "next": next_link(request, page.next_cursor),
            }
        )
