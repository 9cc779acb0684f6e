"""The OpenAPI schema: valid, complete, and in agreement with what the API does.

lucro/ops/tests/test_schemathesis.py fuzzes every operation against it; these tests pin
the declarations that fuzzing cannot judge (an answer the fuzzer never provokes, a bound
shared with a parser) and the interactive docs, which must work with no internet.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from django.urls import Resolver404, resolve
from openapi_spec_validator import validate

from lucro.core.openapi import DATE_PATTERN
from lucro.core.params import DATE_MAX, DATE_MIN
from lucro.ops.tests.conftest import LiveGunicorn
from lucro.taxonomy.defaults import taxonomy
from lucro.testing import ApiClient, make_batch

METHODS = ("get", "post", "put", "patch", "delete")
# (None left: the rerun endpoint declares its 415 since the rerun job landed.)
REWORKED_ELSEWHERE: set[str] = set()


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return dict(yaml.safe_load(response.content))


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def by_id(schema: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in operations(schema) if op["operationId"] == operation_id)


def param(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation.get("parameters", []) if p["name"] == name)


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
def test_every_operation_declares_the_problems_it_can_answer(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        label = f"{method.upper()} {path}"
        responses = operation["responses"]
        if {"ApiKeyAuth": []} in operation.get("security", []):
            # A bad key, and a transient database error (deadlock, lock timeout): the
            # exception handler answers them for every view, with these headers.
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"], label
            assert responses["503"]["headers"]["Retry-After"]["required"], label
        body = operation.get("requestBody")
        if (
            body is not None
            and "application/json" in body["content"]
            and operation["operationId"] not in REWORKED_ELSEWHERE
        ):
            # A body that is not JSON is a 400, another Content-Type a 415.
            assert {"400", "415"} <= set(responses), label
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] != "account_id":
                # Lucro's ids are UUIDs; anything else is a 404 (declared).
                assert parameter["schema"].get("format") == "uuid", (label, parameter)
                assert "404" in responses, label
        for status, response in responses.items():
            if status.startswith(("4", "5")) and operation["operationId"] not in ("health",):
                assert "application/problem+json" in response["content"], (label, status)


@pytest.mark.django_db
def test_ingest_documents_its_body_limits_and_retry(schema: dict[str, Any]) -> None:
    for path in ("/api/v1/integrations/transactions/", "/api/integrations/transactions/"):
        ingest = schema["paths"][path]["post"]
        assert ingest["requestBody"]["required"] is True
        assert set(ingest["requestBody"]["content"]) == {"application/json"}
        assert {"202", "400", "401", "409", "413", "415", "503"} <= set(ingest["responses"])
        assert ingest["responses"]["503"]["headers"]["Retry-After"]["required"] is True
        assert ingest["responses"]["202"]["headers"]["Location"]["required"] is True
    body = schema["components"]["schemas"]["IngestRequestRequest"]
    assert set(body["required"]) == {"accounts", "transactions"}
    assert body["properties"]["transactions"]["minItems"] == 1


@pytest.mark.django_db
def test_category_slugs_are_enumerated_and_patch_requires_one(schema: dict[str, Any]) -> None:
    slugs = sorted(entry.slug for entry in taxonomy())
    components = schema["components"]["schemas"]
    rule_category = components["RuleInRequest"]["properties"]["category"]
    assert components[rule_category["$ref"].rsplit("/", 1)[1]]["enum"] == slugs
    assert param(by_id(schema, "transaction_list"), "category")["schema"]["enum"] == slugs
    patch = by_id(schema, "transaction_categorise")
    assert patch["requestBody"]["required"] is True
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert components[ref.rsplit("/", 1)[1]]["required"] == ["category"]


@pytest.mark.django_db
def test_dates_and_page_sizes_carry_their_formats_and_bounds(schema: dict[str, Any]) -> None:
    for _, _, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] in ("start_date", "end_date"):
                assert parameter["schema"]["format"] == "date"
                assert parameter["schema"]["pattern"] == DATE_PATTERN
            if parameter["name"] == "limit":
                bounds = {k: parameter["schema"][k] for k in ("minimum", "maximum", "default")}
                assert bounds == {"minimum": 1, "maximum": 500, "default": 50}


def test_the_date_pattern_spans_exactly_the_accepted_dates() -> None:
    day = dt.timedelta(days=1)
    for inside in (DATE_MIN, DATE_MAX, dt.date(2024, 2, 29)):
        assert re.match(DATE_PATTERN, inside.isoformat())
    for outside in (DATE_MIN - day, DATE_MAX + day, dt.date(9999, 12, 31)):
        assert not re.match(DATE_PATTERN, outside.isoformat())


@pytest.mark.django_db
def test_page_size_bounds_are_the_ones_both_lists_enforce(
    schema: dict[str, Any], api: ApiClient
) -> None:
    assert api.post("/api/v1/integrations/transactions/", make_batch(1)).status_code == 202
    for operation_id, path in (
        ("transaction_list", "/api/v1/transactions/"),
        ("rules_list", "/api/v1/rules/"),
    ):
        limit = param(by_id(schema, operation_id), "limit")["schema"]
        assert api.get(path, limit=limit["maximum"]).status_code == 200, path
        assert api.get(path, limit=limit["minimum"]).status_code == 200, path
        assert api.get(path, limit=limit["maximum"] + 1).status_code == 400, path
        assert api.get(path, limit=limit["minimum"] - 1).status_code == 400, path


@pytest.mark.django_db
def test_an_empty_query_value_is_refused_unless_the_schema_allows_it(
    schema: dict[str, Any], api: ApiClient
) -> None:
    assert api.post("/api/v1/integrations/transactions/", make_batch(1)).status_code == 202
    for parameter in by_id(schema, "transaction_list")["parameters"]:
        name = parameter["name"]
        if parameter["in"] != "query":
            continue
        response = api.get("/api/v1/transactions/", **{name: ""})
        constrained = {"enum", "format", "pattern", "minimum"} & set(parameter["schema"])
        if parameter.get("allowEmptyValue") or not constrained:
            assert response.status_code == 200, (name, response.content)
        else:
            # e.g. ?source= : "" is not one of the enum's values.
            assert response.status_code == 400, (name, response.content)
            assert response.json()["errors"] == [
                {"pointer": f"/{name}", "detail": response.json()["errors"][0]["detail"]}
            ]


@pytest.mark.django_db
def test_docs_page_loads_pinned_self_hosted_assets(client: Client) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets), assets
    assert "cdn" not in page and "@latest" not in page


def test_docs_assets_are_served_by_gunicorn(gunicorn_server: LiveGunicorn) -> None:
    """What `make run` serves: the page, then each asset it names, from this host."""
    docs = f"{gunicorn_server.url}/api/v1/docs/"
    with urllib.request.urlopen(docs, timeout=10) as page:  # noqa: S310 - our own http URL
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.read().decode())
    assert len(assets) == 4, assets  # favicon, CSS, the bundle, the preset
    kinds = {".png": "image/png", ".css": "text/css", ".js": "text/javascript"}
    for asset in assets:
        url = f"{gunicorn_server.url}{asset}"
        with urllib.request.urlopen(url, timeout=10) as served:  # noqa: S310 - as above
            assert served.status == 200, asset
            assert served.headers["Content-Type"].startswith(kinds[Path(asset).suffix]), asset
            assert served.read(), asset


@pytest.mark.django_db
def test_request_bodies_refuse_json_types_the_schema_does_not_document(api: ApiClient) -> None:
    # DRF alone would store 0 as False and as the string "0".
    rule = {"category": "income", "pattern": "ACME", "is_active": 0, "priority": "50"}
    response = api.post("/api/v1/rules/", rule)
    assert response.status_code == 400
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/is_active", "/priority"}
    response = api.post("/api/v1/rules/test/", {"merchant_name": 0, "amount": " 5 "})
    assert response.status_code == 400
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/merchant_name", "/amount"}
    assert api.post("/api/v1/rules/test/", {"merchant_name": "X", "amount": -5}).status_code == 200
