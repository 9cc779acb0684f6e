"""Webhook writes: endpoints and their secrets, publishing events, and delivering them.

Other apps announce an event with ``event_publish`` inside the transaction of their change
(a transactional outbox): the message and its deliveries are rows of that transaction, so
they exist if and only if the change committed, and the first attempt is queued on commit.

Each attempt is claimed before it is made, by a token only one queued task holds
(``WebhookDelivery.claim_token``), and for a lease (``claimed_until``); the HTTP request
runs outside any transaction, and its outcome is recorded only if the claim still holds.
So two workers never make the same attempt, a broker's duplicate message does nothing, and
an attempt whose worker died is claimed again by ``deliveries_due_claim`` once its lease is
past (delivery is at least once). Retries wait in the database (``next_attempt_at``), not in
the broker: beat's ``deliveries_due`` sends those that are due.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lucro.audit.services import audit_record
from lucro.core import crypto
from lucro.core.errors import Conflict
from lucro.tenancy.models import Organization
from lucro.tenancy.principal import Principal
from lucro.webhooks import selectors, signals, signing, transport
from lucro.webhooks.models import (
    TEST_EVENT,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)

logger = structlog.get_logger(__name__)

# An endpoint whose every attempt failed for this long is disabled (SPEC §13).
DISABLE_AFTER = dt.timedelta(days=5)
# After a rotation the previous secret signs beside the new one this long (SPEC §13).
ROTATION_OVERLAP = dt.timedelta(hours=24)
# A wait up to this long is a countdown on the queued message; a longer one waits in the
# database for beat. Well below any broker's visibility timeout (Redis: at least 60 s here,
# CELERY_VISIBILITY_TIMEOUT), so such a message is not redelivered while it waits; and if it
# were, its claim token makes the copy do nothing.
COUNTDOWN_MAX_SECONDS = 30
# Deliveries one run of beat's task claims: a run takes a few milliseconds per hundred,
# and anything left is due at the next run, seconds later.
DUE_BATCH_SIZE = 200


def _lease() -> dt.timedelta:
    """Return how long a claim holds: an attempt takes at most WEBHOOK_TIMEOUT, plus margin
    for the queue and the database."""
    return dt.timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT + 60)


# --- Endpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and its new secret, which exists in plain text only here."""

    endpoint: WebhookEndpoint
    secret: str


_AUDITED_FIELDS = ("url", "events", "description", "enabled")


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {name: getattr(endpoint, name) for name in _AUDITED_FIELDS}


def _audit(
    endpoint: WebhookEndpoint, actor: Principal | None, action: str, changes: dict[str, Any]
) -> None:
    audit_record(
        organization=endpoint.organization,
        actor=actor,
        action=action,
        object_type="webhook",
        object_id=endpoint.pk,
        changes=changes,
    )


def _events_clean(events: Sequence[str]) -> list[str]:
    """Return the event types once each, in the order given."""
    return list(dict.fromkeys(events))


@transaction.atomic
def endpoint_create(
    *,
    organization: Organization,
    url: str,
    events: Sequence[str],
    description: str = "",
    actor: Principal | None = None,
) -> EndpointWithSecret:
    """Create an endpoint with a new secret (returned once; only its ciphertext is kept).

    The URL was checked by the caller (``destinations.url_check``, in the serializer).
    """
    secret = signing.secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        events=_events_clean(events),
        description=description,
        secret_encrypted=crypto.encrypt(secret),
        secret_key_id=crypto.primary_key_id(),
    )
    _audit(endpoint, actor, "webhook.created", _snapshot(endpoint))
    return EndpointWithSecret(endpoint, secret)


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, data: dict[str, Any], actor: Principal | None = None
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description, or enable / disable it.

    Enabling a disabled endpoint revives it: its reason and failure streak are cleared.
    """
    before = _snapshot(endpoint)
    for name in ("url", "description"):
        if name in data:
            setattr(endpoint, name, data[name])
    if "events" in data:
        endpoint.events = _events_clean(data["events"])
    if "enabled" in data and data["enabled"] != endpoint.enabled:
        if data["enabled"]:
            _revive(endpoint)
        else:
            endpoint.enabled = False
            endpoint.disabled_reason = "Disabled through the API."
            endpoint.disabled_at = timezone.now()
    endpoint.save()
    after = _snapshot(endpoint)
    changed = {
        name: {"from": before[name], "to": after[name]}
        for name in after
        if before[name] != after[name]
    }
    if changed:
        _audit(endpoint, actor, "webhook.updated", changed)
    return endpoint


def _revive(endpoint: WebhookEndpoint) -> None:
    endpoint.enabled = True
    endpoint.disabled_reason = ""
    endpoint.disabled_at = None
    endpoint.failing_since = None


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor: Principal | None = None) -> None:
    """Delete an endpoint with its deliveries and their log."""
    snapshot, pk = _snapshot(endpoint), endpoint.pk
    endpoint.delete()
    endpoint.pk = pk  # delete() clears it; the audit event names the endpoint that was
    _audit(endpoint, actor, "webhook.deleted", snapshot)


@transaction.atomic
def endpoint_secret_rotate(
    *, endpoint: WebhookEndpoint, actor: Principal | None = None
) -> EndpointWithSecret:
    """Give the endpoint a new secret; the current one keeps signing beside it for 24 h.

    A second rotation within those hours drops the oldest secret: at most two sign.
    """
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    now = timezone.now()
    secret = signing.secret_generate()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_key_id = endpoint.secret_key_id
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.secret_key_id = crypto.primary_key_id()
    endpoint.secret_rotated_at = now
    endpoint.save()
    # (The audit log redacts any field named like a secret: this one names the time only.)
    _audit(
        endpoint, actor, "webhook.rotated", {"old_signs_until": endpoint.previous_secret_expires_at}
    )
    return EndpointWithSecret(endpoint, secret)


def endpoints_reencrypt_chunk(*, after: uuid.UUID | None, limit: int) -> crypto.ReencryptChunk:
    """Re-encrypt under the primary field key the secrets of up to ``limit`` endpoints.

    The webhooks' part of ``manage.py rotate_field_keys`` (the account numbers' is
    ``ingestion.transitions.accounts_reencrypt_chunk``, which this mirrors): one transaction
    per chunk, endpoints in primary-key order after ``after``, those a concurrent rotation
    of the secret holds skipped (SKIP LOCKED) and counted for a later pass. Both the current
    secret and one still signing after a rotation are re-encrypted; neither changes.
    """
    primary = crypto.primary_key_id()
    todo = selectors.endpoints_under_old_keys()
    if after is not None:
        todo = todo.filter(pk__gt=after)
    with transaction.atomic():
        candidates = list(todo.order_by("pk").values_list("pk", flat=True)[:limit])
        if not candidates:
            return crypto.ReencryptChunk(0, None, 0)
        rows = list(todo.filter(pk__in=candidates).select_for_update(skip_locked=True))
        for endpoint in rows:
            fields = {}
            if endpoint.secret_key_id != primary:
                fields["secret_encrypted"] = crypto.reencrypt(
                    endpoint.secret_encrypted, stored_key_id=endpoint.secret_key_id
                )
                fields["secret_key_id"] = primary
            if endpoint.previous_secret_encrypted and endpoint.previous_secret_key_id != primary:
                fields["previous_secret_encrypted"] = crypto.reencrypt(
                    endpoint.previous_secret_encrypted,
                    stored_key_id=endpoint.previous_secret_key_id,
                )
                fields["previous_secret_key_id"] = primary
            # update(), not save(): the endpoint did not change (no updated_at, no audit).
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**fields)
    return crypto.ReencryptChunk(len(rows), candidates[-1], len(candidates) - len(rows))


def endpoint_secrets(endpoint: WebhookEndpoint, *, at: dt.datetime) -> list[str]:
    """Return the secrets that sign an attempt made at ``at``: the current one first."""
    secrets = [crypto.decrypt(endpoint.secret_encrypted, stored_key_id=endpoint.secret_key_id)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and at < expires:
        secrets.append(
            crypto.decrypt(
                endpoint.previous_secret_encrypted, stored_key_id=endpoint.previous_secret_key_id
            )
        )
    return secrets


def endpoint_test(*, endpoint: WebhookEndpoint, actor: Principal | None = None) -> WebhookDelivery:
    """Send a ``webhook.test`` event to this endpoint only (whatever it subscribes to)."""
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it (PATCH enabled: true) first.")
    data = {
        "endpoint_id": str(endpoint.pk),
        "message": "A test event from Lucro: this endpoint receives signed events.",
    }
    with transaction.atomic():
        [delivery] = _message_create(
            organization_id=endpoint.organization_id,
            event_type=TEST_EVENT,
            data=data,
            endpoint_ids=[endpoint.pk],
        )
        _audit(endpoint, actor, "webhook.tested", {"delivery": delivery.pk})
    return delivery


# --- Publishing ------------------------------------------------------------------------


def event_publish(*, organization_id: uuid.UUID, event_type: str, data: dict[str, Any]) -> None:
    """Announce an event to the organization's enabled endpoints subscribed to its type.

    Call it inside the transaction of the change the event describes: the message and one
    delivery per endpoint are written in that transaction (nothing, if it rolls back), and
    the first attempts are queued once it commits. ``data`` must be JSON-serialisable
    (UUIDs, dates, times and decimals are encoded as text). An organization with no
    endpoint subscribed to the type gets no row at all.
    """
    if event_type not in EventType.values:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    # An organization has a handful of endpoints: filtering their event lists here is the
    # same on both databases (SQLite has no JSON containment operator).
    subscribed = [
        endpoint.pk
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id=organization_id, enabled=True
        ).only("pk", "events")
        if event_type in endpoint.events
    ]
    if subscribed:
        _message_create(
            organization_id=organization_id,
            event_type=event_type,
            data=data,
            endpoint_ids=subscribed,
        )


def _message_create(
    *,
    organization_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    endpoint_ids: Sequence[uuid.UUID],
) -> list[WebhookDelivery]:
    # Stored as the JSON that is sent: every attempt signs and sends the same text.
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    now = timezone.now()
    with transaction.atomic():  # a savepoint in the caller's transaction
        message = WebhookMessage.objects.create(
            organization_id=organization_id, event_type=event_type, timestamp=now, data=payload
        )
        # Each delivery is claimed for the task queued on commit; if that message is lost,
        # the lease runs out and beat claims it again.
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    message=message,
                    endpoint_id=endpoint_id,
                    event_type=event_type,
                    next_attempt_at=now,
                    claim_token=uuid.uuid4(),
                    claimed_until=now + _lease(),
                    created_at=now,
                )
                for endpoint_id in endpoint_ids
            ]
        )
        for delivery in deliveries:
            assert delivery.claim_token is not None
            signals.attempt_request(delivery_id=delivery.pk, token=delivery.claim_token)
    return deliveries


# --- Delivering ------------------------------------------------------------------------


def deliveries_due_claim(*, limit: int = DUE_BATCH_SIZE) -> int:
    """Claim the deliveries whose next attempt is due and queue them; return how many.

    Those waiting for a retry, and those whose claim's lease ran out (a lost message, a
    worker that died mid-attempt). ``SKIP LOCKED`` on PostgreSQL: two beat runs (or a
    second beat by mistake) each take different rows; SQLite serialises writers already
    (IMMEDIATE transactions), where Django leaves the FOR UPDATE out.
    """
    now = timezone.now()
    token = uuid.uuid4()  # one claim for the run; each task names its delivery and it
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if due:
            WebhookDelivery.objects.filter(pk__in=due).update(
                claim_token=token, claimed_until=now + _lease(), in_flight=False
            )
            for pk in due:
                signals.attempt_request(delivery_id=pk, token=token)
    return len(due)


def delivery_attempt(*, delivery_id: uuid.UUID, token: uuid.UUID) -> str:
    """Make the attempt that ``token`` claims, record it, and schedule what comes next.

    Return what happened: ``succeeded``, ``retry``, ``failed``, ``disabled`` (the endpoint
    is or became disabled) or ``skipped`` (another task holds the claim, or nothing is due).
    """
    sending = uuid.uuid4()
    # Take the claim for this process: a copy of the same message finds the token gone.
    taken = WebhookDelivery.objects.filter(
        pk=delivery_id,
        claim_token=token,
        status=WebhookDelivery.Status.PENDING,
        in_flight=False,
    ).update(claim_token=sending, in_flight=True, claimed_until=timezone.now() + _lease())
    if not taken:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint", "message").get(pk=delivery_id)
    endpoint, message = delivery.endpoint, delivery.message
    if not endpoint.enabled:
        WebhookDelivery.objects.filter(pk=delivery_id, claim_token=sending).update(
            status=WebhookDelivery.Status.FAILED,
            next_attempt_at=None,
            claim_token=None,
            claimed_until=None,
            in_flight=False,
            last_error=f"Not sent: the endpoint is disabled ({endpoint.disabled_reason})"[:500],
        )
        return "disabled"
    body = signing.body_encode(
        event_type=message.event_type, timestamp=message.timestamp, data=message.data
    )
    at = timezone.now()
    headers = signing.headers_sign(
        webhook_id=message.webhook_id, at=at, body=body, secrets_=endpoint_secrets(endpoint, at=at)
    )
    result = transport.post(
        endpoint.url,
        body.encode(),
        headers,
        timeout=settings.WEBHOOK_TIMEOUT,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    )
    outcome = _attempt_record(delivery_id=delivery_id, token=sending, at=at, result=result)
    logger.info(
        "webhook_attempt",
        delivery_id=str(delivery_id),
        endpoint_id=str(endpoint.pk),
        webhook_id=message.webhook_id,
        event_type=message.event_type,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=result.error or None,
        outcome=outcome,
    )
    return outcome


@transaction.atomic
def _attempt_record(
    *, delivery_id: uuid.UUID, token: uuid.UUID, at: dt.datetime, result: transport.SendResult
) -> str:
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .filter(pk=delivery_id, claim_token=token)
        .first()
    )
    if delivery is None:
        # The lease ran out and the delivery was claimed again (or deleted with its
        # endpoint) while this attempt ran: the newer claim decides what happens next.
        logger.warning("webhook_attempt_superseded", delivery_id=str(delivery_id))
        return "skipped"
    now = timezone.now()
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    next_attempt_at: dt.datetime | None = None
    wait = 0
    if result.succeeded:
        status, outcome = WebhookDelivery.Status.SUCCEEDED, "succeeded"
        endpoints.filter(failing_since__isnull=False).update(failing_since=None)
    elif result.status_code == 410:
        status, outcome = WebhookDelivery.Status.FAILED, "disabled"
        _endpoint_disable(
            endpoints,
            now,
            f"The receiver answered 410 Gone at {now:%Y-%m-%d %H:%M:%S} UTC; "
            "enable the endpoint again (PATCH enabled: true) once it accepts events.",
        )
    else:
        endpoints.filter(failing_since__isnull=True).update(failing_since=at)
        since = endpoints.values_list("failing_since", flat=True).first()
        schedule = settings.WEBHOOK_RETRY_SCHEDULE
        if since is not None and now - since >= DISABLE_AFTER:
            status, outcome = WebhookDelivery.Status.FAILED, "disabled"
            _endpoint_disable(
                endpoints,
                now,
                f"Every attempt failed for {DISABLE_AFTER.days} days, since "
                f"{since:%Y-%m-%d %H:%M:%S} UTC (last: {_result_text(result)}).",
            )
        elif delivery.retries < len(schedule):
            wait = schedule[delivery.retries]
            next_attempt_at = now + dt.timedelta(seconds=wait)
            status, outcome = WebhookDelivery.Status.PENDING, "retry"
        else:
            status, outcome = WebhookDelivery.Status.FAILED, "failed"
    number = delivery.attempt_count + 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        attempted_at=at,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        succeeded=result.succeeded,
        error=_result_text(result) if not result.succeeded else "",
        next_retry_at=next_attempt_at,
    )
    delivery.attempt_count = number
    delivery.last_attempt_at = at
    delivery.last_error = "" if result.succeeded else _result_text(result)
    delivery.status = status
    delivery.next_attempt_at = next_attempt_at
    delivery.in_flight = False
    delivery.claim_token = None
    delivery.claimed_until = None
    if next_attempt_at is not None:
        delivery.retries += 1
        if wait <= COUNTDOWN_MAX_SECONDS:
            delivery.claim_token = uuid.uuid4()
            delivery.claimed_until = next_attempt_at + _lease()
            signals.attempt_request(
                delivery_id=delivery.pk, token=delivery.claim_token, countdown=wait
            )
    delivery.save()
    return outcome


def _result_text(result: transport.SendResult) -> str:
    if result.error:
        return result.error[:500]
    if result.status_code is not None and 300 <= result.status_code < 400:
        return f"HTTP {result.status_code} (redirects are not followed)"
    return f"HTTP {result.status_code}"


def _endpoint_disable(endpoints: Any, now: dt.datetime, reason: str) -> None:
    endpoints.filter(enabled=True).update(
        enabled=False, disabled_reason=reason[:500], disabled_at=now
    )
    logger.warning("webhook_endpoint_disabled", reason=reason)


@transaction.atomic
def delivery_redeliver(
    *, delivery: WebhookDelivery, actor: Principal | None = None
) -> WebhookDelivery:
    """Send the delivery's message again now, with the same ``webhook-id``.

    A delivery that succeeded or failed starts a new round of the retry schedule; one that
    is waiting for a retry is attempted now instead.
    """
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it (PATCH enabled: true) first.")
    now = timezone.now()
    token = uuid.uuid4()
    restarted = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .filter(Q(in_flight=False) | Q(claimed_until__lte=now))
        .update(
            status=WebhookDelivery.Status.PENDING,
            retries=0,
            next_attempt_at=now,
            claim_token=token,
            claimed_until=now + _lease(),
            in_flight=False,
        )
    )
    if not restarted:
        raise Conflict("An attempt of this delivery is being made now; retry in a few seconds.")
    signals.attempt_request(delivery_id=delivery.pk, token=token)
    _audit(endpoint, actor, "webhook.redelivered", {"delivery": delivery.pk})
    delivery.refresh_from_db()
    return delivery
