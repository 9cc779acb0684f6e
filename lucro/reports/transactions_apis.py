"""Transaction endpoints: list, detail, and manual categorisation."""

from __future__ import annotations

from urllib.parse import urlencode

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
from lucro.ingestion.models import CategorySource, IngestionStatus
from lucro.ingestion.transitions import transaction_categorise
from lucro.reports.serializers import (
    CategoryPatchSerializer,
    TransactionPageSerializer,
    TransactionSerializer,
)
from lucro.reports.services import parse_category_patch
from lucro.reports.transactions import transaction_doc, transaction_get, transaction_list
from lucro.taxonomy.serializers import category_slugs
from lucro.tenancy.authentication import request_organization

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


class TransactionListApi(APIView):
    @extend_schema(
        operation_id="transaction_list",
        parameters=_LIST_PARAMS,
        responses={
            200: TransactionPageSerializer,
            400: problem("A malformed or unknown filter value, limit or cursor"),
            401: UNAUTHORIZED,
        },
    )
    def get(self, request: Request) -> Response:
        page = transaction_list(
            organization=request_organization(request), params=request.query_params
        )
        next_url = None
        if page.next_cursor:
            query = {k: v for k, v in request.query_params.items() if k != "cursor"}
            query["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        return Response({"results": page.results, "next": next_url})


class TransactionDetailApi(APIView):
    @extend_schema(
        operation_id="transaction_detail",
        parameters=[TRANSACTION_PK],
        responses={200: TransactionSerializer, 401: UNAUTHORIZED, 404: NO_TRANSACTION},
    )
    def get(self, request: Request, transaction_pk: str) -> Response:
        txn = transaction_get(
            organization=request_organization(request), transaction_pk=transaction_pk
        )
        return Response(transaction_doc(txn))

    @extend_schema(
        operation_id="transaction_categorise",
        request=CategoryPatchSerializer,
        parameters=[TRANSACTION_PK],
        responses={
            200: TransactionSerializer,
            400: problem("Malformed JSON, no category, or an unknown one"),
            401: UNAUTHORIZED,
            404: NO_TRANSACTION,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request, transaction_pk: str) -> Response:
        organization = request_organization(request)
        transaction_categorise(
            organization=organization,
            transaction_pk=transaction_pk,
            category_slug=parse_category_patch(request.data),
        )
        txn = transaction_get(organization=organization, transaction_pk=transaction_pk)
        return Response(transaction_doc(txn))
