from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lucro.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody adds, edits or deletes an event here."""

    list_display = ("created_at", "organization", "action", "object_type", "object_id", "actor")
    list_filter = ("action",)
    list_select_related = ("organization", "actor_user", "actor_api_key")
    search_fields = ("object_id", "request_id", "=action")
    # A COUNT(*) over millions of events on every page view is not worth its cost.
    show_full_result_count = False
    fields = (
        "id",
        "created_at",
        "organization",
        "actor_user",
        "actor_api_key",
        "action",
        "object_type",
        "object_id",
        "changes",
        "request_id",
        "client_ip",
    )
    readonly_fields = fields

    @admin.display(description="actor")
    def actor(self, event: AuditEvent) -> str:
        if event.actor_user is not None:
            return str(event.actor_user.email or event.actor_user.username)
        if event.actor_api_key is not None:
            return f"key {event.actor_api_key.prefix}…"
        return "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
