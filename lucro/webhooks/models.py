"""Webhook endpoints, the messages sent to them, and each endpoint's deliveries (SPEC §13).

A **message** is one event of one organization (``msg_…``, its type, time and data), made
in the transaction of the change it announces (``services.event_publish``). A **delivery**
is that message's journey to one endpoint: pending until an attempt succeeds, or failed
once the retry schedule runs out (or the endpoint is disabled). Every HTTP request made is
an **attempt** row, which the delivery log lists.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

URL_MAX_LENGTH = 2048
DESCRIPTION_MAX_LENGTH = 255


class EventType(models.TextChoices):
    """The events an endpoint can subscribe to."""

    BATCH_COMPLETED = "batch.completed", "A batch finished with every row categorised"
    BATCH_FAILED = "batch.failed", "A batch finished with rows that failed"
    BUDGET_THRESHOLD_CROSSED = "budget.threshold_crossed", "A budget crossed a threshold"


# Sent only by an endpoint's test action (never subscribed to).
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    """Where an organization receives events, and the secret that signs them.

    The secret is stored encrypted under FIELD_ENCRYPTION_KEYS (``lucro.core.crypto``), not
    hashed: every delivery is signed with it. After a rotation the previous secret signs
    beside the new one until ``previous_secret_expires_at``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=URL_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    events = models.JSONField(default=list, help_text="Event types, e.g. ['batch.completed'].")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success: failures spanning
    # services.DISABLE_AFTER disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    secret_encrypted = models.TextField(editable=False)
    secret_key_id = models.CharField(max_length=8, editable=False)
    previous_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    previous_secret_key_id = models.CharField(max_length=8, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="webhook_org")]
        constraints = [
            models.CheckConstraint(condition=~Q(url=""), name="webhook_url_not_empty"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    """One event of one organization, as every endpoint subscribed to it receives it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="webhook_messages"
    )
    event_type = models.CharField(max_length=64)
    # The body's "timestamp": when the event happened (each attempt's webhook-timestamp
    # header is the time of that attempt).
    timestamp = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["organization", "timestamp"], name="webhook_msg_org")]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event_type}"

    @property
    def webhook_id(self) -> str:
        """Return the message's ``webhook-id``: the same on every attempt and redelivery."""
        return f"msg_{self.id.hex}"


class WebhookDelivery(models.Model):
    """One message's delivery to one endpoint: its state and when it is next attempted.

    ``claim_token`` names the one queued task that may make the next attempt; a task that
    carries another token (a duplicate, a message the broker redelivered) does nothing.
    ``claimed_until`` is that claim's lease: once past, the periodic ``deliveries_due``
    task claims the delivery again (its sender was lost).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=64)  # the message's, for the log and the admin
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # Failed attempts since the delivery was (re)started: the index into the retry schedule.
    retries = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The last attempt's error, or why the delivery stopped without one (endpoint disabled).
    last_error = models.CharField(max_length=500, blank=True, default="")
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    in_flight = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["message", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            # The delivery log: one endpoint's deliveries, newest first, by keyset.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log"),
            # What beat looks for: pending deliveries by due time (a small partial index).
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, and what came of it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows"
    )
    number = models.PositiveIntegerField(help_text="1 for the first attempt of the delivery.")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    # When the delivery was scheduled to be attempted again after this one (None: no retry).
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
