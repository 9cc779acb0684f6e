"""Who is looking at a page: the session's user in the organization chosen at login.

The dashboard's caller is the same ``Principal`` as the API's (SPEC §9's table decides what
it may do), made from the session rather than a token: the membership is read again on
every request, so a removed membership or a changed role takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from lucro.core.errors import ApplicationError
from lucro.tenancy.principal import Capability, Principal
from lucro.tenancy.selectors import member_of

# The session key of the organization the user logged in to.
SESSION_ORGANIZATION = "lucro_organization_id"

P = ParamSpec("P")
PageView = Callable[Concatenate[HttpRequest, Principal, P], HttpResponse]


def session_principal(request: HttpRequest) -> Principal | None:
    """Return the caller of a dashboard request, or None if not logged in (any more)."""
    if not request.user.is_authenticated:
        return None
    membership = member_of(
        user_id=request.user.pk, organization_id=request.session.get(SESSION_ORGANIZATION)
    )
    if membership is None or not membership.user.is_active:
        return None
    return Principal.for_member(membership)


def error_page(request: HttpRequest, status: int, message: str, **headers: str) -> HttpResponse:
    """Return the dashboard's error page (never a traceback, never the API's JSON)."""
    response = render(
        request, "dashboard/error.html", {"status": status, "message": message}, status=status
    )
    for name, value in headers.items():
        response.headers[name] = value
    return response


def member_page(
    capability: Capability = Capability.READ,
) -> Callable[[PageView[P]], Callable[Concatenate[HttpRequest, P], HttpResponse]]:
    """Make a view a page for members who hold ``capability``.

    Not logged in: to the login page. Logged in without the capability: 403 (the server
    refuses, whatever the page showed). An ``ApplicationError`` of a selector or service
    (a missing or another tenant's object: 404, a bad parameter: 400) is the error page.
    """

    def decorate(view: PageView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
        @wraps(view)
        def page(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            principal = session_principal(request)
            if principal is None:
                if request.user.is_authenticated:
                    logout(request)  # the membership is gone: the session is too
                return redirect_to_login(request.get_full_path(), reverse("dashboard:login"))
            if not principal.can(capability):
                what = capability.value.split(",")[0]
                return error_page(request, 403, f"Your role ({principal.role}) may not {what}.")
            if any("\x00" in str(value) for value in kwargs.values()):
                # No object's id holds a NUL, and PostgreSQL text cannot: missing, unasked.
                return error_page(request, 404, "No such page.")
            try:
                return view(request, principal, *args, **kwargs)
            except ApplicationError as exc:
                return error_page(request, exc.status, exc.detail, **exc.headers)
            except DataError:
                # A value the database cannot hold that slipped past the parsing (as the
                # API's problem handler answers it): the caller's input, not our failure.
                return error_page(request, 400, "A value in the request cannot be read.")

        return page

    return decorate


def navigation(principal: Principal) -> dict[str, Any]:
    """Return what the page frame shows of the caller: who, where, which pages."""
    return {
        "principal": principal,
        "can_configure": principal.can(Capability.CONFIGURE),
        "can_ingest": principal.can(Capability.INGEST),
        "can_categorise": principal.can(Capability.CATEGORISE),
    }
