"""Problems are JSON from every view, whatever it renders otherwise."""

from __future__ import annotations

import pytest
from django.test import Client

from lucro.testing import ApiClient


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    return problem


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_a_bad_key_on_the_schema_or_docs_is_a_json_problem(client: Client, path: str) -> None:
    # The schema view renders YAML and the docs view HTML: a problem rendered by them was
    # YAML or the text "401 Unauthorized" under a problem+json content type.
    response = client.get(path, headers={"Authorization": "Token nope"})
    assert _problem(response, 401)["type"].endswith("/unauthorized")


@pytest.mark.django_db
def test_an_unacceptable_accept_header_is_a_json_problem(client: Client) -> None:
    response = client.get("/api/v1/schema/", headers={"Accept": "application/xml"})
    assert _problem(response, 406)["type"].endswith("/not-acceptable")


def test_options_is_a_405_problem_not_a_500(api: ApiClient) -> None:
    # DRF's OPTIONS metadata was rendered through the docs page's HTML template: a 500.
    for path in ("/api/v1/docs/", "/api/v1/rules/", "/api/live/"):
        _problem(api.client.options(path, headers={"Authorization": f"Token {api.key}"}), 405)


def test_a_body_over_the_upload_limit_is_a_413_problem(api: ApiClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api.post("/api/v1/rules/test/", raw=b'{"description": "' + b"x" * 2048 + b'"}')
    assert _problem(response, 413)["type"].endswith("/payload-too-large")
