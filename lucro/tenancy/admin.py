from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User as AuthUser
from django.db.models import QuerySet
from django.http import HttpRequest

from lucro.tenancy.models import ApiKey, Membership, Organization
from lucro.tenancy.services import api_key_create, api_key_revoke


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("id", "created_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """API keys: created through the service (the raw key is shown once), never edited.

    ``hashed_key`` is never displayed; a key is identified by its prefix.
    """

    list_display = (
        "name",
        "organization",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "active",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("organization",)
    search_fields = ("name", "prefix", "organization__name")
    autocomplete_fields = ("organization",)
    actions = ("revoke_selected",)

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[Any]:
        if obj is None:
            return ["organization", "name"]
        return [
            "organization",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return []
        return ["organization", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]

    @admin.display(boolean=True, description="active")
    def active(self, obj: ApiKey) -> bool:
        return obj.is_active

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            ApiKey.objects.filter(pk=obj.pk).update(name=obj.name)
            return
        created = api_key_create(organization=obj.organization, name=obj.name)
        stored = created.api_key
        # The admin goes on with ``obj`` (log entry, redirect): make it the stored key.
        for field in ("id", "prefix", "hashed_key", "created_at"):
            setattr(obj, field, getattr(stored, field))
        obj._state.adding = False
        obj._state.db = stored._state.db
        messages.warning(
            request,
            f"New API key for {obj.organization}: {created.raw_key} — copy it now; "
            "it is shown only this once and cannot be recovered.",
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = list(queryset.filter(revoked_at__isnull=True))
        for api_key in keys:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(keys)} API key(s).", messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Revoke instead: batches keep pointing at the key that sent them.
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("organization",)
    fields = ("organization", "role", "created_at")
    readonly_fields = ("created_at",)


# People who log in are Django's users (the email is the username): the stock user admin,
# with each person's memberships. Removing a membership (here or anywhere) revokes that
# person's refresh tokens for the organization (lucro.tenancy.receivers).
admin.site.unregister(AuthUser)


@admin.register(AuthUser)
class PersonAdmin(DjangoUserAdmin):
    inlines = (MembershipInline,)
    list_display = ("username", "first_name", "is_active", "is_staff", "last_login")
    search_fields = ("username", "email", "first_name")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "organization__name")
    autocomplete_fields = ("user", "organization")
    readonly_fields = ("created_at",)
