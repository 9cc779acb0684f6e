from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.db import models


def default_base_currency() -> str:
    """Return the base currency a new organization starts with (DEFAULT_BASE_CURRENCY)."""
    return str(settings.DEFAULT_BASE_CURRENCY)


class Organization(models.Model):
    """The tenant: everything else belongs to exactly one organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    base_currency = models.CharField(
        max_length=3,
        default=default_base_currency,
        help_text="ISO 4217: the currency of the organization's totals (SPEC §11).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Scope(models.TextChoices):
    """What an API key may do (SPEC §9); a person's role decides the same for a user."""

    INGEST = "ingest", "ingest"
    READ = "read", "read"
    WRITE = "write", "write"


ALL_SCOPES = [scope.value for scope in Scope]


def all_scopes() -> list[str]:
    # A callable default: each key gets its own list (keys made before scopes have all three).
    return list(ALL_SCOPES)


class ApiKey(models.Model):
    """A machine credential; only the SHA-256 of the raw key is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=200)
    prefix = models.CharField(
        max_length=16,
        db_index=True,
        help_text="The first characters of the key, to tell keys apart.",
    )
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=all_scopes, help_text="Any of ingest, read, write (SPEC §9).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class User(AuthUser):
    """A person who logs in: Django's user, seen through Lucro's fields.

    The login is the email, kept normalised (lower case) in both ``username`` (unique) and
    ``email``; the display name is kept in ``first_name``. A proxy rather than a swapped
    ``AUTH_USER_MODEL``: existing databases (the embedded default's included) keep their
    ``auth_user`` table and admin history, and the dashboard's session login is Django's own.
    Operators who only use the admin portal are the same model with ``is_staff``.
    """

    class Meta:
        proxy = True
        ordering = ["username"]

    @property
    def name(self) -> str:
        return self.first_name

    def __str__(self) -> str:
        return self.email or self.username


class Role(models.TextChoices):
    OWNER = "owner", "owner"
    ADMIN = "admin", "admin"
    ANALYST = "analyst", "analyst"


class Membership(models.Model):
    """A user's place in an organization, with the role that decides what they may do."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class RefreshToken(models.Model):
    """One issued refresh token (by its ``jti``): single use, revocable, kept until expiry.

    simplejwt's blacklist app is not used: its outstanding-token table knows neither the
    organization a token was issued for nor whether it was already rotated, so it cannot
    tell a replayed token from a fresh one per (user, organization), which reuse detection
    needs (revoke every refresh token of that user in that organization).
    """

    jti = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "organization"], name="refresh_user_org")]

    def __str__(self) -> str:
        return self.jti
