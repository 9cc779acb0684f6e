from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One recorded action: who did what to which object, when, and what changed (SPEC §9).

    Rows are only ever added (``lucro.audit.services.audit_record``). The actor's foreign
    keys are ``SET_NULL``: deleting a user or a key must not erase what they did; the
    actor is then shown as unknown.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
        help_text="Empty for a failed login that names no organization.",
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_api_key = models.ForeignKey(
        "tenancy.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=64, help_text="e.g. auth.login, rule.created.")
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=128, blank=True, default="")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # Set by the writer, not the database: the list's keyset needs it on the row it made.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list: one organization's events, newest first, by keyset.
            models.Index(
                fields=["organization", "-created_at", "-id"], name="audit_org_created_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
