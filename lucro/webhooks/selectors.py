"""Webhook reads: an organization's endpoints and an endpoint's delivery log."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, Q, QuerySet

from lucro.core import crypto
from lucro.core.errors import NotFound
from lucro.core.pagination import Key, Keyset, Page, PageParams
from lucro.tenancy.models import Organization
from lucro.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Newest first; the index (endpoint, -created_at, -id) serves every page.
DELIVERY_ORDER = Keyset(Key.datetime("created_at"), Key.uuid("id"), descending=True)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound(f"No such {what}.") from exc


def endpoints_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    """Return the organization's endpoints (another organization's never)."""
    return WebhookEndpoint.objects.filter(organization=organization)


def endpoint_get(*, organization: Organization, endpoint_id: str) -> WebhookEndpoint:
    """Return one of the organization's endpoints; another tenant's is as missing as none."""
    endpoint = (
        endpoints_list(organization=organization)
        .select_related("organization")
        .filter(pk=_uuid(endpoint_id, "webhook endpoint"))
        .first()
    )
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def _deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("message")
        .prefetch_related(
            Prefetch("attempt_rows", queryset=WebhookAttempt.objects.order_by("number"))
        )
    )


def deliveries_page(*, endpoint: WebhookEndpoint, page: PageParams) -> Page[WebhookDelivery]:
    """Return one page of the endpoint's deliveries, newest first, with their attempts."""
    return DELIVERY_ORDER.page(_deliveries(endpoint), page)


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    """Return one of the endpoint's deliveries (404 for any other)."""
    delivery = _deliveries(endpoint).filter(pk=_uuid(delivery_id, "delivery")).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    delivery.endpoint = endpoint
    return delivery


def endpoints_under_old_keys() -> QuerySet[WebhookEndpoint]:
    """Return the endpoints with a secret (current or previous) under a non-primary key."""
    primary = crypto.primary_key_id()
    return WebhookEndpoint.objects.filter(
        ~Q(secret_key_id=primary)
        | (~Q(previous_secret_encrypted="") & ~Q(previous_secret_key_id=primary))
    )
