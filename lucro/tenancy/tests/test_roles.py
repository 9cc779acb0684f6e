"""SPEC §9's table, role by role and scope by scope, on every endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from lucro.ingestion.models import Batch
from lucro.tenancy.models import Role
from lucro.tenancy.permissions import Undeclared
from lucro.testing import ApiClient, make_batch, make_client, make_member

pytestmark = pytest.mark.django_db

# The table of SPEC §9, written out here (not derived from the code under test).
WHO_MAY = {
    "read": {"owner", "admin", "analyst", "scope:read"},
    "categorise": {"owner", "admin", "analyst", "scope:write"},
    "ingest": {"owner", "admin", "scope:ingest"},
    "configure": {"owner", "admin", "scope:write"},
    "manage": {"owner", "admin"},
    "anyone": {"owner", "admin", "analyst", "scope:read", "scope:write", "scope:ingest"},
}
CALLERS = ["owner", "admin", "analyst", "scope:read", "scope:write", "scope:ingest"]
NOWHERE = str(uuid.UUID(int=7))  # an id that names nothing: allowed → 404, denied → 403
RANGE = {"start_date": "2025-10-01", "end_date": "2025-10-31"}
RULE = {"category": "food-and-drink-coffee", "pattern": "zzmatrix", "match_type": "contains"}
WEBHOOK = {"url": "https://93.184.215.14/hooks", "events": ["batch.completed"]}
FX_RATE = {"date": "2025-10-30", "base": "USD", "quote": "KES", "rate": "129.25"}
BUDGET = {"name": "Food", "amount": "500.00", "category": "food-and-drink"}

# (method, path, body or query, capability). Every API operation must be here (see below).
OPERATIONS: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/v1/me/", None, "anyone"),
    ("GET", "/api/v1/organization/", None, "anyone"),
    ("PATCH", "/api/v1/organization/", {"base_currency": "KES"}, "manage"),
    ("GET", "/api/v1/categories/", None, "read"),
    ("GET", "/api/v1/rules/", None, "read"),
    ("POST", "/api/v1/rules/", RULE, "configure"),
    ("POST", "/api/v1/rules/test/", {"description": "TEST", "amount": "-1.00"}, "read"),
    ("GET", f"/api/v1/rules/{NOWHERE}/", None, "read"),
    ("PUT", f"/api/v1/rules/{NOWHERE}/", RULE, "configure"),
    ("PATCH", f"/api/v1/rules/{NOWHERE}/", {"priority": 60}, "configure"),
    ("DELETE", f"/api/v1/rules/{NOWHERE}/", None, "configure"),
    ("POST", "/api/v1/integrations/transactions/", "batch", "ingest"),
    ("POST", "/api/integrations/transactions/", "batch", "ingest"),
    ("GET", f"/api/v1/batches/{NOWHERE}/", None, "read"),
    ("POST", f"/api/v1/batches/{NOWHERE}/retry/", None, "ingest"),
    ("POST", "/api/v1/categorisation/rerun/", {}, "configure"),
    ("GET", "/api/v1/reports/summary/", RANGE, "read"),
    ("GET", "/api/v1/reports/accounts/acc_x/summary/", RANGE, "read"),
    ("GET", "/api/v1/reports/accounts/acc_x/categories/", RANGE, "read"),
    ("GET", "/api/v1/reports/accounts/acc_x/timeseries/", RANGE, "read"),
    ("GET", "/api/reports/account/acc_x/summary/", RANGE, "read"),
    ("GET", "/api/reports/account/acc_x/summary", RANGE, "read"),
    ("GET", "/api/v1/transactions/", None, "read"),
    ("GET", f"/api/v1/transactions/{NOWHERE}/", None, "read"),
    (
        "PATCH",
        f"/api/v1/transactions/{NOWHERE}/",
        {"category": "food-and-drink-coffee"},
        "categorise",
    ),
    ("GET", "/api/v1/accounts/", None, "read"),
    ("GET", "/api/v1/accounts/acc_x/", None, "read"),
    ("DELETE", "/api/v1/accounts/acc_x/", None, "configure"),
    ("POST", "/api/v1/accounts/acc_x/restore/", None, "configure"),
    ("DELETE", f"/api/v1/transactions/{NOWHERE}/", None, "configure"),
    ("POST", f"/api/v1/transactions/{NOWHERE}/restore/", None, "configure"),
    ("GET", "/api/v1/users/", None, "manage"),
    ("POST", "/api/v1/users/", {"email": "new@example.com", "role": "analyst"}, "manage"),
    ("GET", f"/api/v1/users/{NOWHERE}/", None, "manage"),
    ("PATCH", f"/api/v1/users/{NOWHERE}/", {"name": "X"}, "manage"),
    ("DELETE", f"/api/v1/users/{NOWHERE}/", None, "manage"),
    ("GET", "/api/v1/api-keys/", None, "manage"),
    ("POST", "/api/v1/api-keys/", {"name": "ci", "scopes": ["read"]}, "manage"),
    ("DELETE", f"/api/v1/api-keys/{NOWHERE}/", None, "manage"),
    ("GET", "/api/v1/audit/", None, "manage"),
    ("GET", "/api/v1/exchange-rates/", {"base": "USD", "quote": "KES"}, "read"),
    ("POST", "/api/v1/exchange-rates/", {"rates": [FX_RATE]}, "configure"),
    ("GET", "/api/v1/webhooks/", None, "configure"),
    ("POST", "/api/v1/webhooks/", WEBHOOK, "configure"),
    ("GET", f"/api/v1/webhooks/{NOWHERE}/", None, "configure"),
    ("PATCH", f"/api/v1/webhooks/{NOWHERE}/", {"enabled": False}, "configure"),
    ("DELETE", f"/api/v1/webhooks/{NOWHERE}/", None, "configure"),
    ("POST", f"/api/v1/webhooks/{NOWHERE}/rotate-secret/", None, "configure"),
    ("POST", f"/api/v1/webhooks/{NOWHERE}/test/", None, "configure"),
    ("GET", f"/api/v1/webhooks/{NOWHERE}/deliveries/", None, "configure"),
    ("POST", f"/api/v1/webhooks/{NOWHERE}/deliveries/{NOWHERE}/redeliver/", None, "configure"),
    ("GET", "/api/v1/budgets/", None, "read"),
    ("POST", "/api/v1/budgets/", BUDGET, "configure"),
    ("GET", f"/api/v1/budgets/{NOWHERE}/", None, "read"),
    ("PATCH", f"/api/v1/budgets/{NOWHERE}/", {"amount": "1"}, "configure"),
    ("DELETE", f"/api/v1/budgets/{NOWHERE}/", None, "configure"),
    ("GET", f"/api/v1/budgets/{NOWHERE}/status/", None, "read"),
    ("GET", "/api/v1/alerts/", None, "read"),
    ("POST", f"/api/v1/alerts/{NOWHERE}/read/", None, "categorise"),
]


def _caller(who: str) -> ApiClient:
    if who.startswith("scope:"):
        return make_client("Matrix", scopes=[who.removeprefix("scope:")])
    return make_member("Matrix", who)[0]


def _send(client: ApiClient, method: str, path: str, body: Any) -> Any:
    if body == "batch":
        body = make_batch(2, request_id=None)
    if method == "GET":
        return client.get(path, **(body or {}))
    if method == "DELETE":
        return client.delete(path)
    send = {"POST": client.post, "PUT": client.put, "PATCH": client.patch}[method]
    return send(path, body if body is not None else {})


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize(("method", "path", "body", "capability"), OPERATIONS)
def test_each_caller_may_do_what_the_table_says(
    who: str, method: str, path: str, body: Any, capability: str
) -> None:
    make_member("Matrix", Role.OWNER)  # the organization keeps an owner throughout
    client = _caller(who)
    batches = Batch.objects.filter(organization=client.organization).count()
    answer = _send(client, method, path, body)
    assert answer.status_code < 500, answer.content
    if who in WHO_MAY[capability]:
        assert answer.status_code != 403, (who, method, path, answer.content)
    else:
        assert answer.status_code == 403, (who, method, path, answer.status_code)
        assert answer["Content-Type"] == "application/problem+json"
        assert answer.json()["status"] == 403
        # Refused means nothing happened.
        assert Batch.objects.filter(organization=client.organization).count() == batches


def test_what_the_allowed_get_is_real() -> None:
    """Spot checks that "not 403" above was the operation working, not another refusal."""
    admin = make_member("Matrix", Role.ADMIN)[0]
    assert admin.post("/api/v1/integrations/transactions/", make_batch(1)).status_code == 202
    assert admin.post("/api/v1/rules/", RULE).status_code == 201
    assert admin.get("/api/v1/users/").status_code == 200
    analyst = make_member("Matrix", Role.ANALYST)[0]
    assert analyst.get("/api/v1/transactions/").json()["results"]
    assert analyst.get(f"/api/v1/rules/{NOWHERE}/").status_code == 404
    writer = make_client("Matrix", scopes=["write"])
    assert writer.post("/api/v1/rules/", {**RULE, "pattern": "zzother"}).status_code == 201


def _api_views() -> list[tuple[str, type[APIView]]]:
    found: list[tuple[str, type[APIView]]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None)
                if view is not None and issubclass(view, APIView):
                    found.append((prefix + str(pattern.pattern), view))

    walk(get_resolver().url_patterns, "/")
    return found


def test_every_api_view_declares_its_permission_and_is_in_the_matrix() -> None:
    covered = {
        (method, path.replace(NOWHERE, "<id>").replace("acc_x", "<id>"))
        for method, path, _, _ in OPERATIONS
    }
    missing = []
    for route, view in _api_views():
        if route.startswith(("/api/health", "/api/live", "/api/v1/schema", "/api/v1/docs")):
            continue
        if route.startswith("/api/v1/auth/token"):
            continue  # login and refresh: open by design (rate limited)
        assert view.permission_classes, route
        assert Undeclared not in view.permission_classes, f"{route} declares no capability"
        normalised = (
            "/"
            + "/".join(
                "<id>" if part.startswith("<") else part for part in route.strip("/").split("/")
            )
            + ("/" if route.endswith("/") else "")
        )
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method) and (method.upper(), normalised) not in covered:
                if method.upper() == "POST" and normalised == "/api/v1/auth/logout/":
                    continue  # any member; tested in test_auth
                if normalised == "/api/v1/graphql/":
                    continue  # any member, then each field's capability: graphql_api's tests
                missing.append((method.upper(), normalised))
    assert not missing, f"operations missing from the role matrix: {missing}"
