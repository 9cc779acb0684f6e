"""Endpoints and deliveries in the admin: read-only (the API makes and changes them, and
shows a secret once), with a redeliver action for deliveries. A secret is never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from lucro.core.errors import Conflict
from lucro.webhooks import services
from lucro.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ReadOnly):
    list_display = ("url", "organization", "enabled", "events_text", "created_at")
    list_filter = ("enabled",)
    list_select_related = ("organization",)
    search_fields = ("url", "description", "organization__name")
    # Never the secret, its ciphertext or its key id.
    fields = (
        "id",
        "organization",
        "url",
        "description",
        "events",
        "enabled",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "secret_rotated_at",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="events")
    def events_text(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "attempted_at", "status_code", "duration_ms", "error", "next_retry_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "event_type")
    list_select_related = ("endpoint",)
    search_fields = ("=id", "endpoint__url")
    show_full_result_count = False
    fields = (
        "id",
        "message",
        "endpoint",
        "event_type",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_attempt_at",
        "last_error",
        "created_at",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver the selected deliveries now")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent, refused = 0, 0
        for delivery in queryset.select_related("endpoint__organization"):
            try:
                services.delivery_redeliver(delivery=delivery)
                sent += 1
            except Conflict:
                refused += 1
        if sent:
            self.message_user(request, f"{sent} delivery(ies) queued again.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} not queued: the endpoint is disabled, or an attempt is under way.",
                messages.WARNING,
            )
