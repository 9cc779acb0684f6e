from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from lucro.tenancy.models import Organization


class HasOrganization(BasePermission):
    """Allow callers that authenticated as an organization (an API key)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Organization)
