"""Small input and output serializers of the webhooks API, one pair per operation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lucro.core.serializers import StrictJsonSerializer
from lucro.webhooks.destinations import DestinationRefused, url_check
from lucro.webhooks.models import (
    DESCRIPTION_MAX_LENGTH,
    TEST_EVENT,
    URL_MAX_LENGTH,
    EventType,
    WebhookDelivery,
)


class EventsField(serializers.ListField):
    child = serializers.ChoiceField(
        choices=EventType.choices,
        error_messages={
            "invalid_choice": (
                f'"{{input}}" is not an event type: one of {", ".join(EventType.values)}'
                f" ({TEST_EVENT} is only sent by the test action)."
            )
        },
    )

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("error_messages", {"min_length": "Subscribe to at least one event type."})
        kwargs.setdefault("help_text", "The event types to receive (each once).")
        super().__init__(**kwargs)


@extend_schema_field(
    {
        "type": "string",
        "format": "uri",
        "maxLength": URL_MAX_LENGTH,
        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
    }
)
class EndpointUrlField(serializers.CharField):
    """An endpoint URL, refused if webhooks may not be sent there (``destinations``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", URL_MAX_LENGTH)
        kwargs.setdefault(
            "help_text",
            "Where events are POSTed. In production: https, and a host that resolves only "
            "to public addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS relaxes both).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        try:
            url_check(value, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
        except DestinationRefused as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class EndpointInSerializer(StrictJsonSerializer):
    url = EndpointUrlField()
    events = EventsField()
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class EndpointPatchSerializer(StrictJsonSerializer):
    url = EndpointUrlField(required=False)
    events = EventsField(required=False)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False
    )
    enabled = serializers.BooleanField(
        required=False,
        help_text="false stops deliveries; true revives a disabled endpoint (and clears "
        "disabled_reason).",
    )


class EndpointOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(
        allow_null=True, help_text="Why the endpoint is disabled (null while enabled)."
    )
    disabled_at = serializers.DateTimeField(allow_null=True)
    secret_rotated_at = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Until then the previous secret also signs (24 h after a rotation).",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["disabled_reason"] = None if instance.enabled else instance.disabled_reason
        return data


class EndpointListOutSerializer(serializers.Serializer):
    results = EndpointOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")


class EndpointWithSecretOutSerializer(EndpointOutSerializer):
    secret = serializers.CharField(
        help_text="whsec_ + base64 of 32 random bytes. Shown this once: store it now."
    )


class AttemptOutSerializer(serializers.Serializer):
    attempt = serializers.IntegerField(source="number", help_text="1 for the first.")
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's HTTP status (null: no answer)."
    )
    duration_ms = serializers.IntegerField()
    succeeded = serializers.BooleanField()
    error = serializers.CharField(help_text="Why the attempt failed (empty if it succeeded).")
    next_retry_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next attempt was scheduled (null: none)."
    )


class DeliveryOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    webhook_id = serializers.CharField(
        source="message.webhook_id", help_text="The message's webhook-id (msg_…)."
    )
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When it is attempted next (null once settled)."
    )
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    attempts = AttemptOutSerializer(many=True, source="attempt_rows.all")


class DeliveryListOutSerializer(serializers.Serializer):
    results = DeliveryOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")
