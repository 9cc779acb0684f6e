from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from lucro.tenancy.keys import KEY_PREFIX, api_key_hash
from lucro.tenancy.models import ApiKey, Membership, Organization
from lucro.tenancy.principal import Principal

# Writing last_used_at on every request would add a write to every read; once a minute
# is precise enough to tell an unused key from a used one.
LAST_USED_RESOLUTION = timedelta(seconds=60)
_MEMBER_FIELDS = (
    "role",
    "organization__id",
    "organization__name",
    "organization__created_at",
    "user__id",
    "user__username",
    "user__email",
    "user__first_name",
    "user__is_active",
)


def _credentials(request: Request, keywords: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (keyword, credential) of the Authorization header if its scheme is one of
    ``keywords``; None if there is no header or another scheme; 401 if it is malformed."""
    header = authentication.get_authorization_header(request)
    if not header:
        return None
    parts = header.split()
    if not parts:
        return None
    keyword = parts[0].decode("latin-1").lower()
    if keyword not in keywords:
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed("Malformed Authorization header.")
    try:
        return keyword, parts[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise exceptions.AuthenticationFailed("Invalid credentials.") from exc


def _note_organization(request: Request, organization: Organization) -> None:
    # For the request log line, which is written outside DRF.
    request._request.lucro_organization = organization  # type: ignore[attr-defined]


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Token <key>`` as an API key of an organization.

    ``Bearer <key>`` is accepted too for a Lucro key (it starts with ``lk_``), as before
    JWTs existed; any other Bearer credential is left to ``JwtAuthentication``.
    ``request.user`` is a ``Principal`` and ``request.auth`` the ApiKey.
    """

    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[Principal, ApiKey] | None:
        found = _credentials(request, self.keywords)
        if found is None:
            return None
        keyword, raw_key = found
        if keyword == "bearer" and not raw_key.startswith(KEY_PREFIX):
            return None
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
        _note_organization(request, api_key.organization)
        return Principal.for_api_key(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api", Bearer realm="api"'


class JwtAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Bearer <access token>`` as a user in an organization.

    The token (simplejwt: signature, algorithm, expiry and type checked) names the user and
    the organization; the membership is read on every request, so a removed member, a
    deactivated user or a changed role takes effect at once, not when the token expires.
    ``request.user`` is a ``Principal`` and ``request.auth`` the AccessToken.
    """

    def authenticate(self, request: Request) -> tuple[Principal, AccessToken] | None:
        found = _credentials(request, ("bearer",))
        if found is None:
            return None
        try:
            token = AccessToken(found[1])  # type: ignore[arg-type]
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(
                "Invalid or expired access token.", code="token_not_valid"
            ) from exc
        try:
            rows = (
                Membership.objects.select_related("user", "organization")
                .filter(
                    user_id=token.get("user_id"),
                    organization_id=token.get("organization_id"),
                    user__is_active=True,
                )
                # What a request needs of the person: not the password hash, no ORDER BY.
                .only(*_MEMBER_FIELDS)
                .order_by()[:1]
            )
            membership = next(iter(rows), None)
        except (ValueError, TypeError, ValidationError):
            membership = None  # claims of the wrong shape: not a token this service issued
        if membership is None:
            raise exceptions.AuthenticationFailed(
                "Invalid or expired access token.", code="token_not_valid"
            )
        _note_organization(request, membership.organization)
        return Principal.for_member(membership), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def request_organization(request: Any) -> Organization:
    """Return the caller's organization (views behind a capability only)."""
    principal = request.user
    assert isinstance(principal, Principal)
    return principal.organization
