"""Exchange rates over REST (SPEC §11): read one; upload the organization's own."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.errors import NotFound
from lucro.core.openapi import FORBIDDEN, NOT_JSON, UNAUTHORIZED, date_param, problem
from lucro.core.parsers import DecimalJSONParser
from lucro.fx import selectors, services
from lucro.fx.contract import upload_parse
from lucro.fx.params import parse_rate_query
from lucro.fx.serializers import (
    CURRENCY_SCHEMA,
    RateOutSerializer,
    RatesUploadInSerializer,
    RatesUploadOutSerializer,
)
from lucro.tenancy.permissions import CanConfigure, CanRead, by_method, request_principal

_PAIR_PARAMS = [
    OpenApiParameter(
        "base", {**CURRENCY_SCHEMA, "example": "USD"}, required=True, description="Convert from."
    ),
    OpenApiParameter(
        "quote", {**CURRENCY_SCHEMA, "example": "KES"}, required=True, description="Convert to."
    ),
    date_param("date", required=False, description="The day (default: today, UTC)."),
]


class ExchangeRatesApi(APIView):
    """The rate of one pair on one day; an organization's own rates, uploaded."""

    permission_classes = [by_method(GET=CanRead, POST=CanConfigure)]
    # Numbers in the body are read as Decimal from their text, never through a float.
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        operation_id="exchange_rate_get",
        parameters=_PAIR_PARAMS,
        responses={
            200: RateOutSerializer,
            400: problem("A missing or malformed base, quote or date"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("No rate for this pair within FX_MAX_STALENESS_DAYS before the day"),
        },
    )
    def get(self, request: Request) -> Response:
        query = parse_rate_query(request.query_params, today=timezone.now().date())
        rate = selectors.rate_get(
            organization=request_principal(request).organization,
            base=query.base,
            quote=query.quote,
            day=query.day,
        )
        if rate is None:
            raise NotFound(f"No {query.base}/{query.quote} rate on {query.day.isoformat()}.")
        return Response(
            RateOutSerializer({**rate._asdict(), "rate": selectors.rate_text(rate.rate)}).data
        )

    @extend_schema(
        operation_id="exchange_rates_upload",
        request=RatesUploadInSerializer,
        responses={
            200: RatesUploadOutSerializer,
            400: problem("Malformed JSON or invalid rates (each named by a JSON pointer)"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            415: NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        rates = upload_parse(request.data, today=timezone.now().date())
        result = services.rates_upload(
            organization=principal.organization, rates=rates, actor=principal
        )
        return Response(
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
