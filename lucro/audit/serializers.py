from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lucro.audit.models import AuditEvent


class AuditActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["user", "api_key"],
        allow_null=True,
        help_text="null: the system, a command line, or an actor since deleted.",
    )
    id = serializers.CharField(
        allow_null=True,
        help_text="The user's id in this organization (null once they left), or the key's id.",
    )
    email = serializers.EmailField(required=False, help_text="A user's.")
    prefix = serializers.CharField(required=False, help_text="An API key's.")


class AuditObjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="e.g. user, api_key, rule, transaction, batch.")
    id = serializers.CharField(allow_null=True)


class AuditEventOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    action = serializers.CharField(help_text="e.g. auth.login, rule.updated.")
    actor = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()
    changes = serializers.JSONField(
        help_text='What changed: a changed field is {"from", "to"}; never a secret.'
    )
    request_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(AuditActorSerializer)
    def get_actor(self, event: AuditEvent) -> dict[str, Any]:
        if event.actor_user is not None:
            member = getattr(event, "actor_member_id", None)
            return {
                "type": "user",
                # None once the person has left the organization (the email still says who).
                "id": str(member) if member is not None else None,
                "email": event.actor_user.email,
            }
        if event.actor_api_key is not None:
            key = event.actor_api_key
            return {"type": "api_key", "id": str(key.pk), "prefix": key.prefix}
        return {"type": None, "id": None}

    @extend_schema_field(AuditObjectSerializer)
    def get_object(self, event: AuditEvent) -> dict[str, Any]:
        return {"type": event.object_type, "id": event.object_id or None}

    def to_representation(self, instance: AuditEvent) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["request_id"] = data["request_id"] or None
        return data


class AuditListOutSerializer(serializers.Serializer):
    results = AuditEventOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")
