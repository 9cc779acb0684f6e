"""Webhook secrets follow a field-key rotation (``manage.py rotate_field_keys``).

What must hold: after a new key is put first and the command has run, the old key can be
removed and every endpoint still signs with the same secrets (the current one, and the
previous one during its 24 hours); a second run does nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.utils import timezone

from lucro.core import crypto
from lucro.tenancy.services import organization_get_or_create
from lucro.webhooks import services
from lucro.webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_rotation_reencrypts_current_and_previous_secrets(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    organization = organization_get_or_create(name="Org A")
    first = services.endpoint_create(
        organization=organization, url="http://127.0.0.1:9/a", events=["batch.completed"]
    )
    rotated = services.endpoint_secret_rotate(endpoint=first.endpoint)  # both sign for 24 h
    plain = services.endpoint_create(
        organization=organization, url="http://127.0.0.1:9/b", events=["batch.completed"]
    )
    now = timezone.now()

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    out = io.StringIO()
    call_command("rotate_field_keys", chunk_size=1, stdout=out)
    assert "2 webhook secrets" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # the old key is gone
    endpoint = WebhookEndpoint.objects.get(pk=first.endpoint.pk)
    assert {endpoint.secret_key_id, endpoint.previous_secret_key_id} == {crypto.key_id(KEY_B)}
    assert services.endpoint_secrets(endpoint, at=now) == [rotated.secret, first.secret]
    later = now + dt.timedelta(days=2)  # the previous secret stopped signing, as before
    assert services.endpoint_secrets(endpoint, at=later) == [rotated.secret]
    other = WebhookEndpoint.objects.get(pk=plain.endpoint.pk)
    assert services.endpoint_secrets(other, at=now) == [plain.secret]
    assert first.secret not in out.getvalue() and rotated.secret not in out.getvalue()

    before = list(WebhookEndpoint.objects.values_list("secret_encrypted", flat=True))
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "0 account numbers, 0 webhook secrets re-encrypted" in out.getvalue()
    assert list(WebhookEndpoint.objects.values_list("secret_encrypted", flat=True)) == before


def test_a_secret_no_key_opens_stops_the_rotation_loudly(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    organization = organization_get_or_create(name="Org A")
    created = services.endpoint_create(
        organization=organization, url="http://127.0.0.1:9/a", events=["batch.completed"]
    )
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # KEY_A dropped before the rotation ran
    with pytest.raises(CommandError, match=crypto.key_id(KEY_A)) as caught:
        call_command("rotate_field_keys", stdout=io.StringIO())
    assert created.secret not in str(caught.value)
    assert WebhookEndpoint.objects.get().secret_encrypted == created.endpoint.secret_encrypted
