"""The endpoint itself: credentials, bodies that are no GraphQL request, masking, 429."""

from __future__ import annotations

import pytest

from lucro.graphql_api.tests.conftest import URL, codes, gql
from lucro.testing import ApiClient, wait_for_a_fresh_window


def test_no_credential_is_unauthenticated(client) -> None:
    response = client.post(URL, {"query": "{ me { role } }"}, content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert codes(response.json()) == ["UNAUTHENTICATED"]


def test_bad_key_is_unauthenticated(db) -> None:
    status, body = gql(ApiClient(None, "lk_not_a_key"), "{ me { role } }")  # type: ignore[arg-type]
    assert status == 401
    assert codes(body) == ["UNAUTHENTICATED"]


def test_me_and_organization(api: ApiClient) -> None:
    query = "{ me { role apiKey { scopes } organization { name } } organization { name } }"
    status, body = gql(api, query)
    assert status == 200, body
    assert body["data"]["me"]["organization"]["name"] == "Org A"
    assert body["data"]["me"]["role"] is None
    assert body["data"]["organization"] == {"name": "Org A"}


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('{"query": 5}', "application/json", 400),
        ('{"query": ""}', "application/json", 400),
        ('{"query": "{ me { role } }", "variables": [1]}', "application/json", 400),
        ('{"query": "{ me { role } }", "operationName": 3}', "application/json", 400),
        ("\xff\xfe", "application/json", 400),
        ('{"query": "{ me { role } }"}', "text/plain", 415),
        ('{"query": "{ me { role "}', "application/json", 400),
        ('{"query": "{ nosuchfield }"}', "application/json", 400),
    ],
)
def test_malformed_requests_are_clear_400s(
    api: ApiClient, raw: str, content_type: str, status: int
) -> None:
    response = api.post(URL, raw=raw, content_type=content_type)
    assert response.status_code == status
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["message"]


def test_get_without_the_ide_is_refused(api: ApiClient, settings) -> None:
    settings.GRAPHQL_IDE = False
    response = api.get(URL)
    assert response.status_code == 405
    assert codes(response.json()) == ["BAD_USER_INPUT"]


def test_get_serves_graphiql_when_switched_on(client, settings) -> None:
    settings.GRAPHQL_IDE = True
    response = client.get(URL)
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()


def test_unexpected_errors_are_masked(api: ApiClient, monkeypatch) -> None:
    def boom(**kwargs):
        raise RuntimeError("secret internals at /srv/lucro")

    monkeypatch.setattr("lucro.reports.selectors.account_list", boom)
    response = api.post(URL, {"query": "{ accounts { nodes { accountId } } }"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "secret" not in text and "Traceback" not in text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response["X-Request-ID"]
    assert error["path"] == ["accounts"]


def test_rate_limited(api: ApiClient, settings) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 1
    wait_for_a_fresh_window()  # both requests in one window
    assert gql(api, "{ organization { name } }")[0] == 200
    response = api.post(URL, {"query": "{ organization { name } }"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert codes(response.json()) == ["RATE_LIMITED"]


def test_a_nul_character_is_bad_input_not_a_500(api: ApiClient) -> None:
    query = "query($s: String) { transactions(filter: {search: $s}) { nodes { id } } }"
    status, body = gql(api, query, {"s": "a\u0000b"})
    assert status == 200
    assert codes(body) in ([], ["BAD_USER_INPUT"])  # SQLite searches it; PostgreSQL cannot
