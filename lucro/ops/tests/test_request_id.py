from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import pytest

from lucro.core.context import request_id_var
from lucro.ingestion.models import Batch
from lucro.ops import signals
from lucro.ops.tests.conftest import LiveGunicorn, Proc
from lucro.testing import ApiClient, make_batch, make_client

INGEST = "/api/v1/integrations/transactions/"


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_request_id_is_made_when_missing_or_insane(api: ApiClient) -> None:
    made = api.get("/api/live/")["X-Request-ID"]
    assert len(made) == 32
    kept = api.get("/api/live/", headers={"X-Request-ID": "req-abc.123"})
    assert kept["X-Request-ID"] == "req-abc.123"
    replaced = api.get("/api/live/", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced["X-Request-ID"] != "bad id\nwith newline"


def test_request_id_is_stored_on_the_batch(api: ApiClient) -> None:
    response = api.post(INGEST, make_batch(2), headers={"X-Request-ID": "corr-42"})
    assert response.status_code == 202
    assert Batch.objects.get(pk=response.json()["batch_id"]).correlation_id == "corr-42"


def test_publish_adds_the_header_and_prerun_binds_it() -> None:
    headers: dict[str, Any] = {}
    token = request_id_var.set("rid-publish")
    try:
        signals._publish_add_header(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {signals.HEADER: "rid-publish"}

    class FakeTask:
        name = "lucro.enrichment.enrich_batch"
        request = type("R", (), {signals.HEADER: "rid-publish", "retries": 0})()

        def run(self, batch_id: str) -> None: ...

    signals._task_prerun(task_id="t1", task=FakeTask(), args=("b-1",), kwargs={})
    try:
        import structlog

        context = structlog.contextvars.get_contextvars()
        assert request_id_var.get() == "rid-publish"
        assert context["request_id"] == "rid-publish"
        assert context["batch_id"] == "b-1"
        # A task published from inside this task inherits the id.
        child_headers: dict[str, Any] = {}
        signals._publish_add_header(headers=child_headers)
        assert child_headers[signals.HEADER] == "rid-publish"
    finally:
        signals._task_postrun(task_id="t1", state="SUCCESS")
    assert request_id_var.get() is None


@pytest.mark.django_db(transaction=True)
def test_request_id_reaches_web_and_worker_json_logs(
    gunicorn_server: LiveGunicorn, celery_worker_process: Proc
) -> None:
    client = make_client("Org Corr")
    request_id = f"corr-{uuid.uuid4().hex[:12]}"
    request = urllib.request.Request(  # noqa: S310
        gunicorn_server.url + INGEST,
        data=json.dumps(make_batch(3)).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {client.key}",
            "Content-Type": "application/json",
            "X-Request-ID": request_id,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 202
        assert response.headers["X-Request-ID"] == request_id
        batch_id = json.loads(response.read())["batch_id"]

    deadline = time.monotonic() + 60
    worker_lines: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        worker_lines = [
            line
            for line in _json_lines(celery_worker_process.text())
            if line.get("request_id") == request_id
        ]
        if any(line.get("event") == "task_finished" for line in worker_lines):
            break
        time.sleep(0.3)
    web_lines = [
        line
        for line in _json_lines(gunicorn_server.proc.text())
        if line.get("request_id") == request_id
    ]
    assert any(
        line.get("event") == "request" and line.get("status") == 202 and line.get("path") == INGEST
        for line in web_lines
    ), web_lines
    finished = [line for line in worker_lines if line.get("event") == "task_finished"]
    assert finished, celery_worker_process.text()[-4000:]
    assert finished[0]["task"].startswith("lucro.")
    assert finished[0]["batch_id"] == batch_id
    assert finished[0]["outcome"] == "SUCCESS"
    assert "duration_ms" in finished[0]
    # The raw API key appears in no log line of either process.
    assert client.key not in gunicorn_server.proc.text()
    assert client.key not in celery_worker_process.text()
