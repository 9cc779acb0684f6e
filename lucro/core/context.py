"""The correlation id of the work in progress (a request, or a task it caused), and the
address of the client of the current request.

Set by ops (the request middleware, the Celery task signals) and read by any app: it lives
in core, the bottom layer, so that reading it imports nothing above the reader.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """Return the correlation id of the current request or task, if any."""
    return request_id_var.get()


# The peer address of the current HTTP request (REMOTE_ADDR: a proxy's, behind one), or
# None outside a request; the audit log stores it beside the request id.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_client_ip() -> str | None:
    """Return the address the current request came from, if any."""
    return client_ip_var.get()
