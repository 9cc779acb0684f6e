from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from lucro.tenancy.models import ApiKey, Organization
from lucro.tenancy.services import api_key_hash

# Writing last_used_at on every request would add a write to every read; once a minute
# is precise enough to tell an unused key from a used one.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Token <key>`` (or ``Bearer <key>``) as an organization.

    ``request.user`` is the organization and ``request.auth`` the ApiKey.
    """

    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[Organization, ApiKey] | None:
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid API key.") from exc
        api_key = (
            ApiKey.objects.select_related("organization")
            .filter(hashed_key=api_key_hash(raw_key), revoked_at__isnull=True)
            .first()
        )
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        # For the request log line, which is written outside DRF.
        request._request.lucro_organization = api_key.organization  # type: ignore[attr-defined]
        return api_key.organization, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'


def request_organization(request: Any) -> Organization:
    """Return the caller's organization (views behind HasOrganization only)."""
    organization = request.user
    assert isinstance(organization, Organization)
    return organization
