"""Generated queries and mutations (hypothesis-graphql, from the committed SDL): whatever
they ask, the answer is JSON with a code on every error, never a 500 or a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import from_schema

from lucro.graphql_api.sdl import SDL_PATH
from lucro.graphql_api.tests.conftest import URL
from lucro.testing import ApiClient, make_client

SDL = SDL_PATH.read_text()
CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "RATE_LIMITED"}


@pytest.fixture
def fuzz_client(db: None) -> ApiClient:
    return make_client("Org fuzz", scopes=["read", "write", "ingest"])


# Each example is one request through the whole stack; 40 cover every root field often.
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=from_schema(SDL))
def test_generated_operations_never_fail_the_server(fuzz_client: ApiClient, query: str) -> None:
    response = fuzz_client.post(URL, {"query": query})
    assert response.status_code in (200, 400), (query, response.content)
    body = response.json()
    assert "Traceback" not in response.content.decode()
    for error in body.get("errors", []):
        assert error["extensions"]["code"] in CODES, (query, error)
