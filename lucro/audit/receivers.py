"""The audit log's subscriptions to the layers below it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from lucro.audit.services import audit_record
from lucro.tenancy.models import Organization
from lucro.tenancy.signals import tenancy_event


@receiver(tenancy_event, dispatch_uid="audit.tenancy_event")
def tenancy_event_record(
    sender: Any,
    *,
    action: str,
    organization: Organization | None,
    actor: Any = None,
    actor_user_id: int | None = None,
    object_type: str,
    object_id: str | None,
    changes: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Record a login, a failed login, a token reuse, or a change of people or keys.

    Sent inside the transaction of the change (so a failure here undoes the change: nothing
    happens unrecorded). A failed login names no organization; when it names a known
    person, it is recorded in each organization they belong to, so that the owners and
    admins who manage that person see attempts on their account (a wrong email is
    recorded once, without an organization: only the Django admin shows it).
    """
    organizations: list[Organization | None] = [organization]
    if organization is None and actor_user_id is not None:
        organizations = list(Organization.objects.filter(memberships__user_id=actor_user_id)) or [
            None
        ]
    for each in organizations:
        audit_record(
            organization=each,
            actor=actor,
            actor_user_id=actor_user_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            changes=changes,
        )
