"""Delivery to a real HTTP receiver on loopback: signatures, retries, disabling, rotation.

Every request the receiver gets is verified with ``standardwebhooks.Webhook(secret).verify``
(conftest.Receiver). Time is driven with time-machine, never slept through: the retry
schedule is checked on the recorded times and on what beat finds due.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from lucro.tenancy.models import Organization
from lucro.tenancy.services import organization_get_or_create
from lucro.webhooks import services
from lucro.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from lucro.webhooks.tests.conftest import Answer, Outbox, Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]

START = dt.datetime(2025, 10, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def organization(db: None) -> Organization:
    return organization_get_or_create(name="Org A")


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=True)
    return time_machine


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def _endpoint(
    organization: Organization, receiver: Receiver, events: list[str] | None = None
) -> WebhookEndpoint:
    created = services.endpoint_create(
        organization=organization, url=receiver.url, events=events or ["batch.completed"]
    )
    receiver.secrets = [created.secret]
    return created.endpoint


def _publish(capture: Any, organization: Organization, data: dict[str, Any] | None = None) -> None:
    with capture(execute=True):
        services.event_publish(
            organization_id=organization.pk,
            event_type="batch.completed",
            data=data or {"batch_id": "b1"},
        )


def test_an_event_arrives_signed_with_the_standard_headers(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any
) -> None:
    _endpoint(organization, receiver)
    _publish(capture, organization, {"batch_id": "b1", "total": 3, "when": START})
    assert outbox.run(capture) == ["succeeded"]
    [received] = receiver.requests
    receiver.assert_all_verified()
    message = WebhookMessage.objects.get()
    assert received.webhook_id == message.webhook_id
    assert received.webhook_id.startswith("msg_")
    assert abs(int(received.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    assert received.signatures[0].startswith("v1,") and len(received.signatures) == 1
    assert received.headers["content-type"] == "application/json"
    assert received.path == "/hooks"
    body = received.json
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "batch.completed"
    assert body["data"] == {"batch_id": "b1", "total": 3, "when": "2025-10-30T12:00:00Z"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempt_count == 1
    assert delivery.next_attempt_at is None


def test_only_enabled_endpoints_subscribed_to_the_type_receive_it(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any
) -> None:
    _endpoint(organization, receiver, ["batch.completed"])
    _endpoint(organization, receiver, ["batch.failed"])
    off = _endpoint(organization, receiver, ["batch.completed"])
    WebhookEndpoint.objects.filter(pk=off.pk).update(enabled=False)
    other = organization_get_or_create(name="Org B")
    _endpoint(other, receiver, ["batch.completed"])
    _publish(capture, organization)
    assert WebhookDelivery.objects.count() == 1
    assert outbox.run(capture) == ["succeeded"]
    # Nobody subscribed: nothing is written at all.
    with capture(execute=True):
        services.event_publish(
            organization_id=organization.pk, event_type="budget.threshold_crossed", data={}
        )
    assert WebhookMessage.objects.count() == 1
    with pytest.raises(ValueError):
        services.event_publish(organization_id=organization.pk, event_type="nope", data={})


def test_retries_keep_the_webhook_id_and_follow_the_schedule(
    organization: Organization,
    receiver: Receiver,
    outbox: Outbox,
    capture: Any,
    clock: Any,
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 2, 4]
    _endpoint(organization, receiver)
    receiver.script(500, 503, Answer(404), 200)
    _publish(capture, organization)
    countdowns = []
    outcomes = []
    while outbox.queued:
        countdowns.extend(q.countdown for q in outbox.queued)
        outcomes.extend(outbox.run(capture, clock, limit=1))
    assert outcomes == ["retry", "retry", "retry", "succeeded"]
    assert countdowns == [0, 1, 2, 4]
    receiver.assert_all_verified()
    assert len({r.webhook_id for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1  # the same body, signed anew
    attempts = list(WebhookAttempt.objects.order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert [a.status_code for a in attempts] == [500, 503, 404, 200]
    for attempt, wait in zip(attempts, [1, 2, 4], strict=False):
        assert attempt.next_retry_at is not None
        assert attempt.next_retry_at - attempt.attempted_at >= dt.timedelta(seconds=wait)
        assert attempt.next_retry_at - attempt.attempted_at < dt.timedelta(seconds=wait + 1)
    assert attempts[-1].next_retry_at is None


def test_long_waits_are_kept_in_the_database_and_sent_by_beat_when_due(
    organization: Organization,
    receiver: Receiver,
    outbox: Outbox,
    capture: Any,
    clock: Any,
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [300, 7200]
    _endpoint(organization, receiver)
    receiver.script(500, 500, 500)
    _publish(capture, organization)
    assert outbox.run(capture) == ["retry"]
    assert outbox.queued == []  # no countdown of minutes on the broker
    delivery = WebhookDelivery.objects.get()
    assert delivery.claim_token is None
    assert delivery.next_attempt_at is not None
    first = WebhookAttempt.objects.get(number=1).attempted_at
    assert dt.timedelta(seconds=300) <= delivery.next_attempt_at - first < dt.timedelta(seconds=301)

    clock.shift(290)
    with capture(execute=True):
        assert services.deliveries_due_claim() == 0
    clock.shift(11)
    with capture(execute=True):
        assert services.deliveries_due_claim() == 1
        assert services.deliveries_due_claim() == 0  # claimed: not taken twice
    assert outbox.run(capture) == ["retry"]
    clock.shift(7201)
    with capture(execute=True):
        assert services.deliveries_due_claim() == 1
    assert outbox.run(capture) == ["failed"]  # the schedule ran out
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert delivery.last_error == "HTTP 500"
    assert len({r.webhook_id for r in receiver.requests}) == 1
    receiver.assert_all_verified()


def test_a_claim_is_made_once_and_a_lost_attempt_is_claimed_again(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any, clock: Any
) -> None:
    _endpoint(organization, receiver)
    _publish(capture, organization)
    [queued] = outbox.take()
    # The broker delivered the message twice: one copy sends, the other does nothing.
    outbox.queued = [queued, queued]
    assert outbox.run(capture) == ["succeeded", "skipped"]
    assert len(receiver.requests) == 1

    # A message that never arrives (a broker outage at publish time): beat sends it once
    # its claim's lease has run out.
    _publish(capture, organization, {"batch_id": "b2"})
    outbox.take()
    with capture(execute=True):
        assert services.deliveries_due_claim() == 0
    clock.shift(200)
    with capture(execute=True):
        assert services.deliveries_due_claim() == 1
    assert outbox.run(capture) == ["succeeded"]
    assert len(receiver.requests) == 2


def test_410_disables_the_endpoint_at_once(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any, api: Any
) -> None:
    endpoint = _endpoint(organization, receiver)
    receiver.script(410)
    _publish(capture, organization)
    assert outbox.run(capture) == ["disabled"]
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == "failed"
    _publish(capture, organization, {"batch_id": "b2"})
    assert outbox.queued == [] and WebhookDelivery.objects.count() == 1

    shown = api.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    revived = api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"enabled": True}).json()
    assert revived["enabled"] is True and revived["disabled_reason"] is None
    _publish(capture, organization, {"batch_id": "b3"})
    assert outbox.run(capture) == ["succeeded"]


def test_failures_spanning_five_days_disable_the_endpoint(
    organization: Organization,
    receiver: Receiver,
    outbox: Outbox,
    capture: Any,
    clock: Any,
    settings: Any,
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [3600]
    endpoint = _endpoint(organization, receiver)
    receiver.script(*([500] * 20))
    # A success resets the streak: failures before it do not count.
    for day in range(4):
        _publish(capture, organization, {"day": day})
        assert outbox.run(capture) == ["retry"]
        clock.shift(dt.timedelta(days=1))
    receiver.script(200)
    _publish(capture, organization, {"day": "ok"})
    assert outbox.run(capture) == ["succeeded"]
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None

    receiver.script(*([500] * 20))
    for day in range(5):
        _publish(capture, organization, {"day": day})
        assert outbox.run(capture) == ["retry"]
        clock.shift(dt.timedelta(days=1))
    endpoint.refresh_from_db()
    assert endpoint.enabled  # 4 days and a bit since the first failure
    _publish(capture, organization, {"day": 5})
    assert outbox.run(capture) == ["disabled"]
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "5 days" in endpoint.disabled_reason
    # Its other deliveries, due for a retry, stop without a request.
    count = len(receiver.requests)
    with capture(execute=True):
        assert services.deliveries_due_claim() >= 1
    assert set(outbox.run(capture)) == {"disabled"}
    assert len(receiver.requests) == count


def test_rotation_signs_with_both_secrets_for_24_hours(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any, clock: Any
) -> None:
    endpoint = _endpoint(organization, receiver)
    old = receiver.secrets[0]
    new = services.endpoint_secret_rotate(endpoint=endpoint).secret
    receiver.secrets = [old, new]
    _publish(capture, organization)
    outbox.run(capture)
    [both] = receiver.requests
    assert len(both.signatures) == 2
    assert both.verified_by == [old, new]  # each secret verifies the request on its own
    for secret, signature in zip([new, old], both.signatures, strict=True):
        alone = {**both.headers, "webhook-signature": signature}
        Webhook(secret).verify(both.body, alone)

    clock.shift(dt.timedelta(hours=24, seconds=1))
    _publish(capture, organization, {"batch_id": "b2"})
    outbox.run(capture)
    later = receiver.requests[1]
    assert len(later.signatures) == 1
    assert later.verified_by == [new]
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later.body, later.headers)


def test_redelivery_sends_the_same_message_again(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any, api: Any
) -> None:
    endpoint = _endpoint(organization, receiver)
    _publish(capture, organization)
    assert outbox.run(capture) == ["succeeded"]
    delivery = WebhookDelivery.objects.get()
    with capture(execute=True):
        answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "pending"
    assert outbox.run(capture) == ["succeeded"]
    first, second = receiver.requests
    assert first.webhook_id == second.webhook_id and first.body == second.body
    receiver.assert_all_verified()
    attempts = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["results"][0]
    assert [a["attempt"] for a in attempts["attempts"]] == [1, 2]
    assert attempts["attempt_count"] == 2

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    refused = api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"


def test_the_test_action_sends_a_webhook_test_event(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any, api: Any
) -> None:
    endpoint = _endpoint(organization, receiver, ["budget.threshold_crossed"])
    with capture(execute=True):
        answer = api.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert answer.status_code == 202
    assert outbox.run(capture) == ["succeeded"]
    [received] = receiver.requests
    receiver.assert_all_verified()
    assert received.json["type"] == "webhook.test"
    assert received.json["data"]["endpoint_id"] == str(endpoint.pk)


def test_a_slow_receiver_times_out_and_the_attempt_is_retried(
    organization: Organization,
    receiver: Receiver,
    outbox: Outbox,
    capture: Any,
    settings: Any,
) -> None:
    settings.WEBHOOK_TIMEOUT = 0.3
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    _endpoint(organization, receiver)
    receiver.script(Answer(200, delay=1.5))
    _publish(capture, organization)
    [queued] = outbox.take()
    with capture(execute=True):
        from lucro.webhooks import tasks

        assert tasks.deliver(queued.delivery_id, queued.token) == "retry"
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "timed out" in attempt.error
    assert 250 <= attempt.duration_ms < 1400
    assert attempt.next_retry_at is not None
    assert len(outbox.queued) == 1  # the retry
    assert outbox.run(capture) == ["succeeded"]


def test_redirects_are_not_followed(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any
) -> None:
    _endpoint(organization, receiver)
    receiver.script(Answer(302, headers={"Location": receiver.url + "/elsewhere"}))
    _publish(capture, organization)
    assert outbox.run(capture, limit=1) == ["retry"]
    assert len(receiver.requests) == 1
    assert "redirects are not followed" in WebhookAttempt.objects.get().error


def test_a_dead_receiver_is_a_network_error_and_a_retry(
    organization: Organization, outbox: Outbox, capture: Any, receiver: Receiver
) -> None:
    services.endpoint_create(
        organization=organization, url="http://127.0.0.1:9/down", events=["batch.completed"]
    )
    _publish(capture, organization)
    assert outbox.run(capture, limit=1) == ["retry"]
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "refused" in attempt.error


def test_an_event_published_in_a_transaction_that_rolls_back_leaves_nothing(
    organization: Organization, receiver: Receiver, outbox: Outbox, capture: Any
) -> None:
    _endpoint(organization, receiver)
    with capture(execute=True) as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        services.event_publish(
            organization_id=organization.pk, event_type="batch.completed", data={}
        )
        assert WebhookDelivery.objects.count() == 1  # inside, it is there
        raise RuntimeError("the caller's change failed")
    assert callbacks == []
    assert not WebhookMessage.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert outbox.queued == []
    assert receiver.requests == []


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def all_logs() -> Iterator[_Collect]:
    handler = _Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_secrets_never_reach_the_logs(
    organization: Organization,
    receiver: Receiver,
    outbox: Outbox,
    capture: Any,
    api: Any,
    all_logs: _Collect,
    capfd: Any,
) -> None:
    created = api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["batch.completed"]})
    secret = created.json()["secret"]
    rotated = api.post(f"/api/v1/webhooks/{created.json()['id']}/rotate-secret/").json()["secret"]
    receiver.secrets = [secret, rotated]
    receiver.script(500, 410)
    _publish(capture, api.organization)
    outbox.run(capture)
    assert len(receiver.requests) == 2
    receiver.assert_all_verified()
    out, err = capfd.readouterr()
    text = "\n".join(all_logs.lines) + out + err
    assert "webhook_attempt" in text  # the attempts were logged
    for value in (secret, rotated, secret.removeprefix("whsec_"), rotated.removeprefix("whsec_")):
        assert value not in text
