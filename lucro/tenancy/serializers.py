from __future__ import annotations

from typing import Any

from rest_framework import serializers

from lucro.core.currencies import minor_units
from lucro.core.serializers import StrictJsonSerializer
from lucro.tenancy.models import ALL_SCOPES, Role


class TokenInSerializer(StrictJsonSerializer):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    organization = serializers.CharField(
        max_length=200,
        required=False,
        help_text="The organization's id or name; needed only by a member of several.",
    )


class RefreshInSerializer(StrictJsonSerializer):
    refresh = serializers.CharField(max_length=4096)


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TokenOutSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    organization = OrganizationRefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)


class RefreshOutSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class UserOutSerializer(serializers.Serializer):
    """A member of the organization. ``id`` names the person within this organization."""

    id = serializers.UUIDField(source="pk")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.first_name")
    role = serializers.ChoiceField(choices=Role.choices)


class UserListOutSerializer(serializers.Serializer):
    results = UserOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")


class UserInSerializer(StrictJsonSerializer):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        required=False,
        help_text="For a new person; omitted, a person who already has a login keeps theirs.",
    )


class UserPatchSerializer(StrictJsonSerializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class ApiKeyOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ALL_SCOPES))
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedSerializer(ApiKeyOutSerializer):
    key = serializers.CharField(help_text="The raw key: shown this once, never again.")


class ApiKeyListOutSerializer(serializers.Serializer):
    results = ApiKeyOutSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")


class ApiKeyInSerializer(StrictJsonSerializer):
    name = serializers.CharField(max_length=200, trim_whitespace=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES), allow_empty=False, max_length=3
    )


class MeUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()


class MeApiKeySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ALL_SCOPES))


class MeOutSerializer(serializers.Serializer):
    user = MeUserSerializer(required=False)
    api_key = MeApiKeySerializer(required=False)
    organization = OrganizationRefSerializer()
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class OrganizationOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    base_currency = serializers.CharField(
        help_text="ISO 4217: the currency of the organization's totals and of each "
        "transaction's amount_in_base_currency."
    )
    created_at = serializers.DateTimeField()


class OrganizationPatchSerializer(StrictJsonSerializer):
    base_currency = serializers.CharField(
        min_length=3, max_length=3, help_text="An ISO 4217 code in circulation, e.g. KES."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The name is shown but not changed here: a field sent for nothing is refused rather
        # than ignored, so a client never believes a change was made.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: "Not a setting that can be changed here." for name in unknown}
            )
        return attrs

    def validate_base_currency(self, value: str) -> str:
        if minor_units(value) is None:
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code.")
        return value
