from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from lucro.core.context import client_ip_var, request_id_var
from lucro.core.ratelimit import client_ip

# A caller's id is kept only if it is short and plain, so it is safe in logs and headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

logger = structlog.get_logger("lucro.request")


class RequestIdMiddleware:
    """Give every request an ``X-Request-ID`` and log one structured line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _SANE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        # The address the rate limits count (REMOTE_ADDR, or the trusted proxies' view of it):
        # the audit log records the same caller the login limit saw.
        ip_token = client_ip_var.set(client_ip(request) or None)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            organization = getattr(request, "lucro_organization", None)
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                organization=str(organization) if organization else None,
            )
            return response
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
            structlog.contextvars.clear_contextvars()
