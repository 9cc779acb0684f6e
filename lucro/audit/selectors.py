from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery

from lucro.audit.models import AuditEvent
from lucro.core.pagination import Key, Keyset, Page, PageParams
from lucro.tenancy.models import Membership, Organization

if TYPE_CHECKING:
    from lucro.audit.params import AuditFilters

# Newest first; the id breaks ties between events of the same microsecond. The index
# (organization, -created_at, -id) serves every page.
AUDIT_ORDER = Keyset(Key.datetime("created_at"), Key.uuid("id"), descending=True)


def audit_events(
    *, organization: Organization, filters: AuditFilters | None = None
) -> QuerySet[AuditEvent]:
    """Return the organization's events (another organization's never), filtered."""
    # A person is shown by their id in this organization (their membership, as
    # /api/v1/users/<id>/ names them), never by the login id shared across tenants.
    member = Membership.objects.filter(
        organization=organization, user_id=OuterRef("actor_user_id")
    ).values("pk")[:1]
    events = (
        AuditEvent.objects.filter(organization=organization)
        .select_related("actor_user", "actor_api_key")
        .annotate(actor_member_id=Subquery(member))
    )
    if filters is not None:
        if filters.action is not None:
            events = events.filter(action=filters.action)
        if filters.since is not None:
            events = events.filter(created_at__gte=filters.since)
        if filters.until is not None:
            events = events.filter(created_at__lt=filters.until)
    return events


def audit_page(
    *, organization: Organization, filters: AuditFilters, page: PageParams
) -> Page[AuditEvent]:
    """Return one page of the organization's events, newest first."""
    return AUDIT_ORDER.page(audit_events(organization=organization, filters=filters), page)
