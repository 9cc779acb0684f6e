from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from django.test import Client
from django.urls import Resolver404, resolve
from openapi_spec_validator import validate

from lucro.core.testing import make_client
from lucro.ops.tests.conftest import BIN, ROOT, LiveGunicorn


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return dict(yaml.safe_load(response.content))


@pytest.mark.django_db
def test_schema_is_valid_openapi_3(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    validate(schema)


@pytest.mark.django_db
def test_every_documented_path_resolves(schema: dict[str, Any]) -> None:
    assert "/api/v1/integrations/transactions/" in schema["paths"]
    assert "/api/health/" in schema["paths"]
    for path in schema["paths"]:
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        try:
            resolve(concrete)
        except Resolver404:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"documented path {path} has no route")


@pytest.mark.django_db
def test_schema_documents_auth_and_problems(schema: dict[str, Any]) -> None:
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    ingest = schema["paths"]["/api/v1/integrations/transactions/"]["post"]
    assert {"ApiKeyAuth": []} in ingest["security"]
    assert "application/problem+json" in ingest["responses"]["400"]["content"]
    health = schema["paths"]["/api/health/"]["get"]
    assert health.get("security", [{}]) in ([{}], [])


@pytest.mark.django_db
def test_docs_page_is_served(client: Client) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_5xx_and_no_schema_mismatch(gunicorn_server: LiveGunicorn) -> None:
    key = make_client("Org Schemathesis").key
    result = subprocess.run(
        [
            str(BIN / "st"),
            "run",
            f"{gunicorn_server.url}/api/v1/schema/",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "20",
            "--request-timeout",
            "10",
            "--generation-database",
            "none",
            "--seed",
            "1",
            "-H",
            f"Authorization: Token {key}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
