"""Standard Webhooks 1.0: secrets, the body and the headers of one attempt.

Signatures are made by the ``standardwebhooks`` package, the one receivers verify with:
``v1,`` + base64(HMAC-SHA256 of ``"<webhook-id>.<timestamp>.<body>"``, keyed with the
secret's bytes, i.e. the base64 after ``whsec_`` decoded).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Sequence
from typing import Any

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the standard names, not a secret
# 32 random bytes (the standard asks for 24 to 64).
SECRET_BYTES = 32


def secret_generate() -> str:
    """Return a new signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def body_encode(*, event_type: str, timestamp: dt.datetime, data: dict[str, Any]) -> str:
    """Return the JSON body of a message: ``{"type", "timestamp", "data"}``.

    The same text on every attempt (``timestamp`` is the event's, not the attempt's).
    """
    stamp = timestamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": event_type, "timestamp": stamp, "data": data},
        separators=(",", ":"),
        sort_keys=False,
    )


def headers_sign(
    *, webhook_id: str, at: dt.datetime, body: str, secrets_: Sequence[str]
) -> dict[str, str]:
    """Return the Standard Webhooks headers of one attempt made at ``at``.

    Each secret signs; several signatures are space-separated (a rotation's 24 hours).
    """
    at = at.astimezone(dt.UTC)
    signatures = " ".join(
        Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body) for secret in secrets_
    )
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
