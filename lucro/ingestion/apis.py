from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.context import current_request_id
from lucro.core.errors import PayloadTooLarge, UnsupportedMediaType
from lucro.core.openapi import (
    UNAUTHORIZED,
    UNAVAILABLE,
    location_header,
    problem,
    uuid_path_param,
)
from lucro.core.params import ascii_int
from lucro.ingestion.contract import IDEMPOTENCY_KEY_MAX_LENGTH
from lucro.ingestion.models import batch_location
from lucro.ingestion.selectors import batch_detail
from lucro.ingestion.serializers import (
    BatchDetailSerializer,
    IngestRequestSerializer,
    IngestResponseSerializer,
)
from lucro.ingestion.services import batch_ingest
from lucro.tenancy.authentication import request_organization
from lucro.tenancy.models import ApiKey
from lucro.tenancy.permissions import CanIngest, CanRead


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


BATCH_ID = uuid_path_param("batch_id", "The batch_id an ingest answered with.")


class IngestTransactionsApi(APIView):
    """Accept a batch of accounts and transactions; enrichment runs afterwards."""

    permission_classes = [CanIngest]

    # The body is read raw and decoded by msgspec (see ingestion.payload), not DRF parsers.
    parser_classes: list[type] = []

    @extend_schema(
        operation_id="ingest_transactions",
        # The view reads the raw body (no DRF parser), so the media type is named here.
        request={"application/json": IngestRequestSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
                OpenApiParameter.HEADER,
                required=False,
                description="Same as request_id in the body (if both are sent, they must agree).",
            ),
            location_header(202, "The batch's status URL."),
            OpenApiParameter(
                "Idempotent-Replayed",
                {"type": "string", "enum": ["true"]},
                OpenApiParameter.HEADER,
                response=[202],
                description="Present when this answer replays the first one for the same key.",
            ),
        ],
        responses={
            202: IngestResponseSerializer,
            400: problem("Malformed JSON or invalid fields (each named by a JSON pointer)"),
            401: UNAUTHORIZED,
            409: problem("Idempotency key reused with another body"),
            413: problem("Body or batch too large"),
            415: problem("Not JSON"),
            503: UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        if not _is_json(request.content_type or ""):
            raise UnsupportedMediaType("Send the batch as application/json.")
        limit = settings.INGEST_MAX_BODY_BYTES
        declared = ascii_int(request.META.get("CONTENT_LENGTH") or "0")
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes.")
        body = request.body
        if len(body) > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes.")
        result = batch_ingest(
            organization=request_organization(request),
            body=body,
            api_key=request.auth if isinstance(request.auth, ApiKey) else None,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            correlation_id=current_request_id() or "",
        )
        headers = {"Location": batch_location(result.batch_id)}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(result.body, status=202, headers=headers)


class BatchDetailApi(APIView):
    permission_classes = [CanRead]

    @extend_schema(
        operation_id="batch_detail",
        parameters=[BATCH_ID],
        responses={200: BatchDetailSerializer, 401: UNAUTHORIZED, 404: problem("No such batch")},
    )
    def get(self, request: Request, batch_id: str) -> Response:
        return Response(batch_detail(organization=request_organization(request), batch_id=batch_id))
