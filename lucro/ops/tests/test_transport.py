"""Transport edges through the real gunicorn: chunked bodies and the Idempotency-Key header."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from lucro.ingestion.models import Batch, Transaction
from lucro.ops.tests.conftest import LiveGunicorn
from lucro.testing import make_batch, make_client

INGEST = "/api/v1/integrations/transactions/"


def _chunks(body: bytes, size: int = 1000) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _post_chunked(server: LiveGunicorn, body: bytes, key: str) -> tuple[int, str, bytes]:
    """POST ``body`` with ``Transfer-Encoding: chunked`` (no Content-Length) to ingest."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            "POST",
            INGEST,
            body=_chunks(body),
            headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_is_read(gunicorn_server: LiveGunicorn) -> None:
    api = make_client("Chunked Org")
    status, _, body = _post_chunked(gunicorn_server, json.dumps(make_batch(50)).encode(), api.key)
    assert status == 202, body
    assert json.loads(body)["created"] == 50
    assert Transaction.objects.filter(organization=api.organization).count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_is_413(gunicorn_server: LiveGunicorn) -> None:
    from django.conf import settings

    api = make_client("Chunked Large Org")
    oversized = b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b"{}"
    status, content_type, body = _post_chunked(gunicorn_server, oversized, api.key)
    assert status == 413
    assert content_type == "application/problem+json"
    assert json.loads(body)["status"] == 413
    assert not Batch.objects.filter(organization=api.organization).exists()


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/transactions/?q=" + "x" * 9000, {}, 414),
        ("/api/live/", {"X-Big": "y" * 9000}, 431),
        ("/api/live/", {f"X-H{i}": "1" for i in range(120)}, 431),
    ],
    ids=["long-uri", "long-header", "many-headers"],
)
def test_gunicorn_refusals_are_problem_json(
    gunicorn_server: LiveGunicorn, path: str, headers: dict[str, str], status: int
) -> None:
    parts = urlsplit(gunicorn_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == status
    assert response.getheader("Content-Type") == "application/problem+json"
    assert json.loads(body)["status"] == status


@pytest.mark.django_db(transaction=True)
def test_a_charset_that_is_no_text_encoding_is_415_not_500(gunicorn_server: LiveGunicorn) -> None:
    """Django decodes the query string with any codec the Content-Type names: bz2 raised
    before any middleware (a bare 500). The WSGI guard answers first."""
    api = make_client("Charset Org")
    parts = urlsplit(gunicorn_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            "GET",
            "/api/v1/transactions/?limit=5",
            headers={
                "Authorization": f"Token {api.key}",
                "Content-Type": "application/json; charset=bz2_codec",
            },
        )
        response = connection.getresponse()
        status, content_type = response.status, response.getheader("Content-Type")
        body = response.read()
    finally:
        connection.close()
    assert status == 415, body
    assert content_type == "application/problem+json"
    assert json.loads(body)["status"] == 415
