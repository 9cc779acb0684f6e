"""Webhook endpoints over REST (SPEC §13): thin views over selectors and services.

Every operation needs the configure capability (owners, admins, API keys with ``write``):
an endpoint's URL and its delivery log are configuration, not reports.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.core.openapi import (
    CURSOR_PARAM,
    FORBIDDEN,
    LIMIT_PARAM,
    NOT_JSON,
    UNAUTHORIZED,
    location_header,
    problem,
    uuid_path_param,
)
from lucro.core.pagination import BY_CREATION, next_link, paginate
from lucro.tenancy.permissions import CanConfigure, request_principal
from lucro.webhooks import selectors, services
from lucro.webhooks.serializers import (
    DeliveryListOutSerializer,
    DeliveryOutSerializer,
    EndpointInSerializer,
    EndpointListOutSerializer,
    EndpointOutSerializer,
    EndpointPatchSerializer,
    EndpointWithSecretOutSerializer,
)

INVALID = problem("Invalid request (each problem named by a JSON pointer, e.g. /url)")
ENDPOINT_ID = uuid_path_param("endpoint_id", "The webhook endpoint's id.")
DELIVERY_ID = uuid_path_param("delivery_id", "The delivery's id (from the delivery log).")
NO_ENDPOINT = problem("No such webhook endpoint (or another organization's)")
NO_DELIVERY = problem("No such endpoint or delivery (or another organization's)")
DISABLED = problem("The endpoint is disabled (or, on redelivery, an attempt is under way)")


def _location(endpoint_id: Any) -> str:
    return f"/api/v1/webhooks/{endpoint_id}/"


def _with_secret(created: services.EndpointWithSecret) -> dict[str, Any]:
    return {**EndpointOutSerializer(created.endpoint).data, "secret": created.secret}


class WebhookListCreateApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="webhooks_list",
        parameters=[LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: EndpointListOutSerializer,
            400: problem("limit out of range, or a cursor this API did not issue"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        endpoints = selectors.endpoints_list(organization=request_principal(request).organization)
        page, next_url = paginate(request, endpoints, BY_CREATION)
        return Response({"results": EndpointOutSerializer(page, many=True).data, "next": next_url})

    @extend_schema(
        operation_id="webhooks_create",
        request=EndpointInSerializer,
        parameters=[location_header(201, "The new endpoint's URL.")],
        responses={
            201: EndpointWithSecretOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            415: NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        data = EndpointInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        principal = request_principal(request)
        created = services.endpoint_create(
            organization=principal.organization, actor=principal, **data.validated_data
        )
        return Response(
            _with_secret(created),
            status=201,
            headers={"Location": _location(created.endpoint.pk)},
        )


class WebhookDetailApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="webhooks_detail",
        parameters=[ENDPOINT_ID],
        responses={200: EndpointOutSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_ENDPOINT},
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.endpoint_get(
            organization=request_principal(request).organization, endpoint_id=endpoint_id
        )
        return Response(EndpointOutSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_update",
        request=EndpointPatchSerializer,
        parameters=[ENDPOINT_ID],
        responses={
            200: EndpointOutSerializer,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NO_ENDPOINT,
            415: NOT_JSON,
        },
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        principal = request_principal(request)
        endpoint = selectors.endpoint_get(
            organization=principal.organization, endpoint_id=endpoint_id
        )
        data = EndpointPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            endpoint=endpoint, data=data.validated_data, actor=principal
        )
        return Response(EndpointOutSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_delete",
        parameters=[ENDPOINT_ID],
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_ENDPOINT},
    )
    def delete(self, request: Request, endpoint_id: str) -> Response:
        principal = request_principal(request)
        endpoint = selectors.endpoint_get(
            organization=principal.organization, endpoint_id=endpoint_id
        )
        services.endpoint_delete(endpoint=endpoint, actor=principal)
        return Response(status=204)


class WebhookRotateSecretApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        request=None,
        parameters=[ENDPOINT_ID],
        responses={
            200: EndpointWithSecretOutSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NO_ENDPOINT,
        },
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        principal = request_principal(request)
        endpoint = selectors.endpoint_get(
            organization=principal.organization, endpoint_id=endpoint_id
        )
        return Response(
            _with_secret(services.endpoint_secret_rotate(endpoint=endpoint, actor=principal))
        )


class WebhookTestApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="webhooks_test",
        request=None,
        parameters=[ENDPOINT_ID],
        responses={
            202: DeliveryOutSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NO_ENDPOINT,
            409: DISABLED,
        },
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        principal = request_principal(request)
        endpoint = selectors.endpoint_get(
            organization=principal.organization, endpoint_id=endpoint_id
        )
        delivery = services.endpoint_test(endpoint=endpoint, actor=principal)
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=str(delivery.pk))
        return Response(DeliveryOutSerializer(delivery).data, status=202)


class WebhookDeliveriesApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="webhooks_deliveries",
        parameters=[ENDPOINT_ID, LIMIT_PARAM, CURSOR_PARAM],
        responses={
            200: DeliveryListOutSerializer,
            400: problem("limit out of range, or a cursor this API did not issue"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NO_ENDPOINT,
        },
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.endpoint_get(
            organization=request_principal(request).organization, endpoint_id=endpoint_id
        )
        page = selectors.deliveries_page(
            endpoint=endpoint,
            page=selectors.DELIVERY_ORDER.page_params(request.query_params),
        )
        return Response(
            {
                "results": DeliveryOutSerializer(page.results, many=True).data,
                "next": next_link(request, page.next_cursor),
            }
        )


class WebhookRedeliverApi(APIView):
    permission_classes = [CanConfigure]

    @extend_schema(
        operation_id="webhooks_redeliver",
        request=None,
        parameters=[ENDPOINT_ID, DELIVERY_ID],
        responses={
            202: DeliveryOutSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NO_DELIVERY,
            409: DISABLED,
        },
    )
    def post(self, request: Request, endpoint_id: str, delivery_id: str) -> Response:
        principal = request_principal(request)
        endpoint = selectors.endpoint_get(
            organization=principal.organization, endpoint_id=endpoint_id
        )
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
        delivery = services.delivery_redeliver(delivery=delivery, actor=principal)
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=str(delivery.pk))
        return Response(DeliveryOutSerializer(delivery).data, status=202)
