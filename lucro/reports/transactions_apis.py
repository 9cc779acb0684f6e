"""Transaction endpoints: list, detail, and manual categorisation."""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import problem
from lucro.reports.serializers import (
    CategoryPatchSerializer,
    TransactionPageSerializer,
    TransactionSerializer,
)
from lucro.reports.services import parse_category_patch, transaction_categorise
from lucro.reports.transactions import transaction_doc, transaction_get, transaction_list
from lucro.tenancy.authentication import request_organization

_LIST_PARAMS = [
    OpenApiParameter("account_id", str, description="The account's external id."),
    OpenApiParameter("start_date", str, description="YYYY-MM-DD, inclusive."),
    OpenApiParameter("end_date", str, description="YYYY-MM-DD, inclusive."),
    OpenApiParameter(
        "category",
        str,
        description="A category slug; a primary slug matches its detailed categories too.",
    ),
    OpenApiParameter("status", str, enum=["pending", "processing", "completed", "failed"]),
    OpenApiParameter("source", str, enum=["none", "rule", "model", "manual"]),
    OpenApiParameter("min_amount", str, description="Signed decimal (negative = money out)."),
    OpenApiParameter("max_amount", str, description="Signed decimal."),
    OpenApiParameter("search", str, description="Substring of description or merchant."),
    OpenApiParameter("limit", int, description="1 to 500, default 50."),
    OpenApiParameter("cursor", str, description="From the previous page's next link."),
]


class TransactionListApi(APIView):
    @extend_schema(
        operation_id="transaction_list",
        parameters=_LIST_PARAMS,
        responses={
            200: TransactionPageSerializer,
            400: problem("Bad filter"),
            401: problem("No or bad credentials"),
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
        responses={
            200: TransactionSerializer,
            401: problem("No or bad credentials"),
            404: problem("No such transaction"),
        },
    )
    def get(self, request: Request, transaction_pk: str) -> Response:
        txn = transaction_get(
            organization=request_organization(request), transaction_pk=transaction_pk
        )
        return Response(transaction_doc(txn))

    @extend_schema(
        operation_id="transaction_categorise",
        request=CategoryPatchSerializer,
        responses={
            200: TransactionSerializer,
            400: problem("Unknown category"),
            401: problem("No or bad credentials"),
            404: problem("No such transaction"),
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
