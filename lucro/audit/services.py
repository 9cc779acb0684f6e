"""Write the audit log: ``audit_record`` is the one way any app records an action.

An app records where its action is taken, in the same database transaction (a change that
rolls back leaves no event; an event never describes a change that did not happen):

    audit_record(
        organization=principal.organization,
        actor=principal,                      # the caller (a Principal), or None
        action="budget.created",              # "<object>.<verb in the past>"
        object_type="budget",
        object_id=budget.pk,
        changes={"amount": {"from": "10.00", "to": "12.00"}},  # before/after of changed fields
    )

``changes`` is JSON (UUIDs, dates and decimals are encoded); it must never carry a
password, a token or a raw key, and anything that looks like one is redacted here anyway.
Hot paths (ingesting a batch, enrichment) record nothing: the log is for people's actions.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from lucro.audit.models import AuditEvent
from lucro.core.context import current_client_ip, current_request_id
from lucro.tenancy.keys import KEY_PREFIX
from lucro.tenancy.models import Organization
from lucro.tenancy.principal import Principal

REDACTED = "[redacted]"
# Names whose values are secrets whatever they hold (compared in lower case).
_SECRET_NAMES = frozenset(
    {"password", "token", "access", "refresh", "key", "raw_key", "hashed_key", "jwt"}
)
_SECRET_WORDS = ("password", "secret")
# A raw API key (the stored prefix is KEY_PREFIX + 8 characters; a raw key is far longer)
# or a JWT (three base64url parts, the first two JSON objects).
_RAW_KEY = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_\-]{20,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(word in lowered for word in _SECRET_WORDS)


def changes_redact(value: Any) -> Any:
    """Return ``value`` with every secret-named entry and secret-looking string redacted."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _is_secret_name(str(k)) else changes_redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [changes_redact(item) for item in value]
    if isinstance(value, str) and (_RAW_KEY.search(value) or _JWT.search(value)):
        return REDACTED
    return value


def audit_record(
    *,
    organization: Organization | None,
    actor: Principal | None = None,
    actor_user_id: int | None = None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | int | str | None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record one action, with the current request's id and client address.

    ``actor`` is the caller (its user or API key is recorded); ``actor_user_id`` names
    the person when there is no Principal (a login acts for itself). Both None: the system
    or a command line. Not ``@transaction.atomic`` on purpose: it is one INSERT, which
    joins the caller's transaction (a savepoint would only add two round trips).
    """
    if actor is not None:
        actor_user_id = actor.user.pk if actor.user is not None else actor_user_id
    return AuditEvent.objects.create(
        organization=organization,
        actor_user_id=actor_user_id,
        actor_api_key=actor.api_key if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        changes=changes_redact(dict(changes or {})),
        request_id=current_request_id() or "",
        client_ip=current_client_ip(),
    )
