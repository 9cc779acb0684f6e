"""Permission classes, one per capability of SPEC §9's table.

Every API view declares what it needs, once: ``permission_classes = [CanRead]``, or
``[by_method(GET=CanRead, PATCH=CanCategorise)]`` where methods differ. The default
(``settings.REST_FRAMEWORK``) is ``Undeclared``, which refuses everything: a view that
forgets to declare is closed, not open.

An authenticated caller without the capability gets ``403``; another tenant's object is
still a ``404`` (views look objects up within the caller's organization only).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from lucro.tenancy.principal import Capability, Principal


class Undeclared(BasePermission):
    """The default: the view declared no capability, so nobody may call it."""

    message = "This endpoint declares no permission."

    def has_permission(self, request: Request, view: Any) -> bool:
        return False


class IsMember(BasePermission):
    """Any authenticated caller of an organization (a user's JWT or an API key)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Principal)


class _Needs(IsMember):
    capability: Capability

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            return False  # DRF answers 401 (not authenticated) before this matters
        if principal.can(self.capability):
            return True
        who = f"role {principal.role!r}" if principal.role else "this API key's scopes"
        self.message = f"{who} may not {self.capability.value.split(',')[0]}."
        return False


class CanRead(_Needs):
    capability = Capability.READ


class CanCategorise(_Needs):
    capability = Capability.CATEGORISE


class CanIngest(_Needs):
    capability = Capability.INGEST


class CanConfigure(_Needs):
    capability = Capability.CONFIGURE


class CanManage(_Needs):
    capability = Capability.MANAGE


def by_method(**classes: type[BasePermission]) -> type[BasePermission]:
    """Return a permission class that applies ``classes[request.method]`` (HEAD as GET).

    A method the view implements but does not name here is refused; one it does not
    implement (and OPTIONS) passes, so that the view answers 405 as before.
    """
    table = {method.upper(): cls for method, cls in classes.items()}
    if "GET" in table:
        table.setdefault("HEAD", table["GET"])

    class ByMethod(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            method = request.method or ""
            cls = table.get(method)
            if cls is None:
                return method == "OPTIONS" or not hasattr(view, method.lower())
            permission = cls()
            allowed = permission.has_permission(request, view)
            if not allowed:
                self.message = getattr(permission, "message", None)
            return allowed

    ByMethod.__name__ = "By" + "".join(f"{m.title()}{c.__name__}" for m, c in table.items())
    return ByMethod


def request_principal(request: Any) -> Principal:
    """Return the caller (views behind a capability only)."""
    principal = request.user
    assert isinstance(principal, Principal)
    return principal
