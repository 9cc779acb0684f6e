"""SPEC §9's rate limits: per credential, and per client IP and per email for logins.

``CredentialThrottle`` is DRF's default throttle (``settings.REST_FRAMEWORK``), so every
authenticated view counts its caller's requests without declaring anything; it runs after
authentication and permissions, so a refused key or role (401/403) is not counted. The
token endpoints, which take no credential, declare their own.

The counting itself (atomic counters, 429, the RateLimit fields) is ``lucro.core.ratelimit``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException

from lucro.core.ratelimit import Policy, PolicyThrottle, client_ip, count, refuse_if_exceeded
from lucro.tenancy.principal import Principal
from lucro.tenancy.tokens import email_normalise


def credential_policy() -> Policy:
    return Policy("default", settings.RATE_LIMIT_PER_MINUTE)


class CredentialThrottle(PolicyThrottle):
    """``RATE_LIMIT_PER_MINUTE`` requests per API key or per user (any organization).

    A user's limit follows the person (``user:<id>``), not each of their access tokens or
    organizations. Unauthenticated requests (health, the schema) are not counted here.
    """

    def limits(self, request: Any) -> Sequence[tuple[Policy, str]]:
        principal = request.user
        if not isinstance(principal, Principal):
            return []
        return [(credential_policy(), principal.credential_id)]


def _email_digest(email: object) -> str | None:
    """Return a digest of a login's email (trimmed, lower case), or None if it has none.

    A digest, not the address: counters live in Redis keys and table rows that anyone
    operating the cache reads, and an email typed by an attacker is not ours to store.
    """
    if not isinstance(email, str) or not email_normalise(email):
        return None
    return hashlib.sha256(email_normalise(email).encode()).hexdigest()[:32]


def login_ip_count(request: Any) -> None:
    """Count one login attempt against the client IP's limit (not refused yet)."""
    count(request, [(Policy("login-ip", settings.RATE_LIMIT_LOGIN_PER_MINUTE), client_ip(request))])


def login_attempt_count(request: Any, email: object) -> None:
    """Count one login attempt of ``email`` from this client; raise ``RateLimited`` over
    either limit.

    ``RATE_LIMIT_LOGIN_PER_MINUTE`` attempts per client IP, and as many per email, whatever
    their outcome: a guesser spreading over many addresses still meets the email's limit,
    and one trying many emails meets the IP's. Every login counts here: the API's tokens
    (``LoginThrottle``) and the dashboard's form share the same counters.
    """
    login_ip_count(request)
    digest = _email_digest(email)
    if digest is not None:
        count(
            request,
            [(Policy("login-email", settings.RATE_LIMIT_LOGIN_PER_MINUTE), digest)],
        )
    refuse_if_exceeded(request)


class LoginThrottle(PolicyThrottle):
    """SPEC §9's login limits on the token endpoint (``login_attempt_count``)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        login_ip_count(request)
        try:
            data = request.data
        except APIException:
            # A body that is not JSON still cost the IP an attempt; over the limit, the 429
            # is the answer rather than the 400.
            refuse_if_exceeded(request)
            raise
        login_attempt_count(request, data.get("email") if isinstance(data, Mapping) else None)
        return True


class RefreshThrottle(PolicyThrottle):
    """``RATE_LIMIT_PER_MINUTE`` refreshes per client IP.

    A refresh token is a signed, single-use JWT: there is nothing to guess, so this bounds
    only the load one address can put on the endpoint (each refresh writes two rows), at
    the limit an authenticated credential has. The user is not known before the token is
    checked, which is the view's work, so the IP is the partition.
    """

    def limits(self, request: Any) -> Sequence[tuple[Policy, str]]:
        return [(Policy("refresh-ip", settings.RATE_LIMIT_PER_MINUTE), client_ip(request))]
