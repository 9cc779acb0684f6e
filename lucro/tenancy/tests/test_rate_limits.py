"""SPEC §9's rate limits over HTTP: per credential, per IP and per email for logins.

The counters are the suite's configured store (the database on the embedded default, Redis
when CACHE_URL is set); limits are lowered with the ``settings`` fixture.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, RequestFactory
from structlog.testing import capture_logs

from lucro.core import ratelimit
from lucro.ops.health import health_reset
from lucro.tenancy.services import organization_get_or_create, user_create
from lucro.testing import ApiClient, make_batch, make_client, wait_for_a_fresh_window

ME = "/api/v1/me/"
LOGIN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
PASSWORD = "correct-horse-battery-9"
FIELD = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture(autouse=True)
def _fresh_window() -> None:
    wait_for_a_fresh_window(10)


def remaining(response: Any) -> dict[str, tuple[int, int]]:
    """Return ``{policy: (r, t)}`` from a response's RateLimit field."""
    out = {}
    for item in response["RateLimit"].split(", "):
        match = FIELD.match(item)
        assert match, response["RateLimit"]
        out[match["name"]] = (int(match["r"]), int(match["t"]))
    return out


def login(client: Client, email: str, password: str | None = None, ip: str = "10.0.0.1") -> Any:
    return client.post(
        LOGIN,
        {"email": email, "password": password or "wrong-password"},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


# --- Per credential ------------------------------------------------------------------------


@pytest.mark.django_db
def test_over_the_limit_is_a_429_problem_with_retry_after_and_ratelimit_fields(
    api: ApiClient, settings: Any
) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 3
    for left in (2, 1, 0):
        response = api.get(ME)
        assert response.status_code == 200
        assert response["RateLimit-Policy"] == '"default";q=3;w=60'
        r, t = remaining(response)["default"]
        assert r == left and 1 <= t <= 60

    response = api.get(ME)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 429
    assert problem["type"].endswith("/rate-limited")
    assert problem["title"] == "Too many requests"
    assert problem["violated-policies"] == ["default"]
    assert response["RateLimit-Policy"] == '"default";q=3;w=60'
    r, t = remaining(response)["default"]
    assert r == 0
    assert int(response["Retry-After"]) == t and 1 <= t <= 60
    # Refused requests keep counting: the caller stays refused until the window ends.
    assert api.get(ME).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_under_20_concurrent_requests(live_server: Any, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 5
    key = make_client("Org Concurrent").key
    wait_for_a_fresh_window(20)
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def call() -> None:
        request = urllib.request.Request(  # noqa: S310 (a loopback URL the test built)
            live_server.url + ME, headers={"Authorization": f"Token {key}"}
        )
        barrier.wait(timeout=30)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(statuses) == [200] * 5 + [429] * 15


@pytest.mark.django_db
def test_a_different_credential_has_its_own_counter(
    api: ApiClient, make_api: Callable[[str], ApiClient], client: Client, settings: Any
) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 2
    assert [api.get(ME).status_code for _ in range(3)] == [200, 200, 429]

    # Another key of the same organization.
    second_key = make_api("Org A")
    response = second_key.get(ME)
    assert response.status_code == 200
    assert remaining(response)["default"][0] == 1

    # A person of that organization, by JWT (the login is not counted against them).
    user_create(
        organization=api.organization, email="ana@example.com", role="owner", password=PASSWORD
    )
    access = login(client, "ana@example.com", PASSWORD).json()["access"]
    response = client.get(ME, headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    assert remaining(response)["default"][0] == 1
    # And the first key is still refused.
    assert api.get(ME).status_code == 429


@pytest.mark.django_db
def test_refused_credentials_are_not_counted(api: ApiClient, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 2
    # A 401 names no credential to count against; a 403 comes before the counting.
    for _ in range(3):
        assert Client().get(ME, headers={"Authorization": "Token lk_unknown"}).status_code == 401
        assert api.get("/api/v1/users/").status_code == 403  # a key may not manage users
    response = api.get(ME)
    assert response.status_code == 200
    assert remaining(response)["default"][0] == 1


# --- Logins and refreshes ----------------------------------------------------------------------


@pytest.mark.django_db
def test_logins_are_limited_per_client_ip(client: Client, settings: Any) -> None:
    settings.RATE_LIMIT_LOGIN_PER_MINUTE = 3
    statuses = [login(client, f"guess{i}@example.com").status_code for i in range(3)]
    assert statuses == [401, 401, 401]

    response = login(client, "guess9@example.com")
    assert response.status_code == 429
    assert response.json()["violated-policies"] == ["login-ip"]
    assert response["RateLimit-Policy"] == '"login-ip";q=3;w=60, "login-email";q=3;w=60'
    assert remaining(response)["login-ip"][0] == 0
    assert remaining(response)["login-email"][0] == 2
    assert int(response["Retry-After"]) >= 1

    # Another address is not limited by this one's attempts.
    assert login(client, "guess10@example.com", ip="10.0.0.2").status_code == 401


@pytest.mark.django_db
def test_logins_are_limited_per_email_whatever_the_address_or_outcome(
    client: Client, settings: Any
) -> None:
    settings.RATE_LIMIT_LOGIN_PER_MINUTE = 3
    organization = organization_get_or_create(name="Org Login")
    user_create(organization=organization, email="bo@example.com", role="owner", password=PASSWORD)
    # Successful attempts count too; the email is trimmed and lower-cased first.
    emails = ["bo@example.com", " BO@example.com", "Bo@Example.COM "]
    for i, email in enumerate(emails):
        response = login(client, email, PASSWORD, ip=f"10.0.1.{i}")
        assert response.status_code == 200, response.content
        assert remaining(response)["login-email"][0] == 2 - i
        assert remaining(response)["login-ip"][0] == 2

    response = login(client, "bo@example.com", PASSWORD, ip="10.0.1.9")
    assert response.status_code == 429
    assert response.json()["violated-policies"] == ["login-email"]

    # Another email from a fresh address is not limited.
    assert login(client, "cy@example.com", ip="10.0.1.10").status_code == 401


@pytest.mark.django_db
def test_a_login_body_that_is_not_json_still_counts_against_the_ip(
    client: Client, settings: Any
) -> None:
    settings.RATE_LIMIT_LOGIN_PER_MINUTE = 2

    def send() -> Any:
        return client.post(LOGIN, "{", content_type="application/json", REMOTE_ADDR="10.0.2.1")

    assert [send().status_code for _ in range(3)] == [400, 400, 429]


@pytest.mark.django_db
def test_refreshes_are_limited_per_client_ip(client: Client, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 2

    def refresh(ip: str) -> Any:
        return client.post(
            REFRESH, {"refresh": "not-a-token"}, content_type="application/json", REMOTE_ADDR=ip
        )

    assert [refresh("10.0.3.1").status_code for _ in range(3)] == [401, 401, 429]
    response = refresh("10.0.3.1")
    assert response.json()["violated-policies"] == ["refresh-ip"]
    assert response["RateLimit-Policy"] == '"refresh-ip";q=2;w=60'
    assert refresh("10.0.3.2").status_code == 401


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(settings: Any) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4, 10.8.8.8"
    )
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    assert ratelimit.client_ip(request) == "10.9.9.9"
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    assert ratelimit.client_ip(request) == "10.8.8.8"
    settings.RATE_LIMIT_TRUSTED_PROXIES = 2
    assert ratelimit.client_ip(request) == "1.2.3.4"
    settings.RATE_LIMIT_TRUSTED_PROXIES = 5  # fewer entries than proxies: not forwarded
    assert ratelimit.client_ip(request) == "10.9.9.9"


# --- What is never limited, and what counts once ----------------------------------------------


@pytest.fixture
def health_closed() -> Iterator[None]:
    """Close what the health checks keep open on their threads (a database connection)."""
    yield
    health_reset()


@pytest.mark.django_db
@pytest.mark.usefixtures("health_closed")
def test_health_metrics_schema_and_docs_are_never_limited(api: ApiClient, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 1
    settings.RATE_LIMIT_LOGIN_PER_MINUTE = 1
    for path in ("/api/health/", "/api/live/", "/metrics", "/api/v1/schema/", "/api/v1/docs/"):
        for _ in range(3):
            # With the key (a Principal) and without it.
            for response in (api.get(path), Client().get(path)):
                assert response.status_code in (200, 503), (path, response.status_code)
                assert "RateLimit" not in response, path
    # None of those counted against the key.
    response = api.get(ME)
    assert response.status_code == 200
    assert remaining(response)["default"][0] == 0


@pytest.mark.django_db
def test_a_batch_ingest_counts_once(api: ApiClient, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 10
    response = api.post("/api/v1/integrations/transactions/", make_batch(500))
    assert response.status_code == 202, response.content
    assert remaining(response)["default"][0] == 9
    # The unversioned alias is the same view, counted against the same credential.
    response = api.post("/api/integrations/transactions/", make_batch(3, start=500))
    assert response.status_code == 202, response.content
    assert remaining(response)["default"][0] == 8


@pytest.mark.django_db
def test_a_counter_store_that_is_down_lets_requests_through(api: ApiClient, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "KEY_PREFIX": "lucro",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    settings.RATE_LIMIT_BACKEND = "lucro.core.ratelimit.RedisCounters"
    ratelimit._last_warning = float("-inf")
    with capture_logs() as logs:
        responses = [api.get(ME) for _ in range(3)]
    ratelimit._last_warning = float("-inf")
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all("RateLimit" not in r for r in responses)
    assert [log["event"] for log in logs].count("rate_limit_store_unavailable") == 1


# --- The schema ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_documents_the_429_and_the_fields_of_limited_operations(
    client: Client,
) -> None:
    schema = json.loads(client.get("/api/v1/schema/?format=json").content)
    operations = {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for operation_id in ("me", "ingest_transactions", "auth_token", "auth_token_refresh"):
        responses = operations[operation_id]["responses"]
        limited = responses["429"]
        assert "application/problem+json" in limited["content"], operation_id
        assert {name for name, h in limited["headers"].items() if h["required"]} == {
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
        }
        success = next(r for status, r in responses.items() if status.startswith("2"))
        assert {"RateLimit", "RateLimit-Policy"} <= set(success["headers"]), operation_id
    for operation_id in ("health", "live"):
        assert "429" not in operations[operation_id]["responses"]
