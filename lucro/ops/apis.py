"""Operational endpoints: health, liveness and Prometheus metrics."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lucro.ops.health import health_verdict
from lucro.ops.metrics import metrics_exposition

HealthSerializer = inline_serializer(
    name="Health",
    fields={
        "status": serializers.CharField(help_text='"ok" when every check is ok, else "error"'),
        "checks": inline_serializer(
            name="HealthChecks",
            fields={
                "database": serializers.CharField(help_text='"ok" or an error message'),
                "broker": serializers.CharField(help_text='"ok" or an error message'),
                "cache": serializers.CharField(help_text='"ok" or an error message'),
            },
        ),
    },
)


class HealthApi(APIView):
    """Readiness: can this node reach its database, broker and cache?

    The verdict is at most ``HEALTH_CACHE_SECONDS`` old (see lucro.ops.health): a burst of
    probes costs one round of checks per process, not one per probe.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # Never rate-limited: an orchestrator probing often must never read a 429 as "down".
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="health", auth=[], responses={200: HealthSerializer, 503: HealthSerializer}
    )
    def get(self, request: Request) -> Response:
        ok, checks = health_verdict()
        response = Response(
            {"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503
        )
        response["Cache-Control"] = "no-store"
        return response


class LivenessApi(APIView):
    """Liveness: the process answers; touches no dependency (a restart would not fix one)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # Never rate-limited: an orchestrator probing often must never read a 429 as "down".
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="live",
        auth=[],
        responses={
            200: inline_serializer(
                name="Liveness", fields={"status": serializers.CharField(help_text='Always "ok"')}
            )
        },
    )
    def get(self, request: Request) -> Response:
        response = Response({"status": "ok"})
        response["Cache-Control"] = "no-store"
        return response


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is caller-controlled. Behind a proxy, scrape the
    # node directly or use METRICS_BEARER_TOKEN.
    return str(request.META.get("REMOTE_ADDR", ""))


def _ip_allowed(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_authorised(request: HttpRequest) -> bool:
    """A valid bearer token (when one is set), or a caller in METRICS_ALLOWED_IPS."""
    token: str = settings.METRICS_BEARER_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), token.encode())
    return _ip_allowed(_client_ip(request))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition of every process of this node (see lucro.ops.metrics)."""
    if not metrics_authorised(request):
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        if settings.METRICS_BEARER_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)
