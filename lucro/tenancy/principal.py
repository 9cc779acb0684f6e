"""Who is calling: a person (by a JWT) or a machine (by an API key), in one organization.

``request.user`` is a ``Principal`` for every authenticated API call; views ask it for the
organization, and permission classes ask it for a capability (SPEC §9's table).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from lucro.tenancy.models import ApiKey, Membership, Organization, Role, Scope


class Capability(enum.Enum):
    """The rows of SPEC §9's table: what an endpoint needs of its caller."""

    READ = "read accounts, transactions, reports, budgets, alerts, rates"
    CATEGORISE = "set a manual category, mark alerts read"
    INGEST = "ingest batches, retry batches"
    CONFIGURE = "rules, budgets, webhooks, exchange-rate uploads, rerun, delete/restore"
    MANAGE = "users, roles, API keys, audit log, organization settings"


# The table, once: which roles and which API key scopes hold each capability.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.ADMIN: frozenset(Capability),
    Role.ANALYST: frozenset({Capability.READ, Capability.CATEGORISE}),
}
SCOPE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Scope.READ: frozenset({Capability.READ}),
    Scope.WRITE: frozenset({Capability.CATEGORISE, Capability.CONFIGURE}),
    Scope.INGEST: frozenset({Capability.INGEST}),
}


@dataclass(frozen=True, eq=False)
class Principal:
    """An authenticated caller. Exactly one of ``user`` and ``api_key`` is set."""

    organization: Organization
    user: User | None = None
    role: str | None = None
    api_key: ApiKey | None = None
    capabilities: frozenset[Capability] = field(default=frozenset())
    # A user's id in this organization (their membership), as the API names people.
    member_id: uuid.UUID | None = None

    # What DRF and Django ask of ``request.user``.
    is_authenticated = True
    is_anonymous = False

    @classmethod
    def for_api_key(cls, api_key: ApiKey) -> Principal:
        capabilities = frozenset().union(
            *(SCOPE_CAPABILITIES.get(scope, frozenset()) for scope in api_key.scopes)
        )
        return cls(organization=api_key.organization, api_key=api_key, capabilities=capabilities)

    @classmethod
    def for_member(cls, membership: Membership) -> Principal:
        return cls(
            organization=membership.organization,
            user=membership.user,
            role=membership.role,
            capabilities=ROLE_CAPABILITIES.get(membership.role, frozenset()),
            member_id=membership.pk,
        )

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def credential_id(self) -> str:
        """A stable name of the credential, for rate limits and logs: ``key:<id>`` or
        ``user:<id>``."""
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        assert self.user is not None
        return f"user:{self.user.pk}"
