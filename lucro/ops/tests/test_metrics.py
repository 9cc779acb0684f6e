from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from lucro.ops.tests.conftest import LiveGunicorn, free_port, start_gunicorn, stop, wait_http
from lucro.testing import ApiClient, make_batch, make_client

INGEST = "/api/v1/integrations/transactions/"


def _sample(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+\-]+)"
    match = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _scrape(client: Client, **extra: str) -> str:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_counters_move_after_an_ingestion(api: ApiClient, client: Client) -> None:
    before = _scrape(client)
    for name in (
        "lucro_transactions_ingested_total",
        "lucro_enrichment_latency_seconds",
        "lucro_transactions_in_flight",
        "django_http_requests_latency",
    ):
        assert name in before
    created = _sample(before, "lucro_transactions_ingested_total", 'outcome="created"')
    assert api.post(INGEST, make_batch(5)).status_code == 202
    after = _scrape(client)
    assert _sample(after, "lucro_transactions_ingested_total", 'outcome="created"') == created + 5
    # Queue lag is read from the database at scrape time.
    assert _sample(after, "lucro_transactions_in_flight", 'status="pending"') >= 5


@pytest.mark.django_db
def test_metrics_refuses_callers_outside_the_allow_list(client: Client, settings) -> None:
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    # X-Forwarded-For is the caller's to forge: it is not trusted.
    forged = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 403


@pytest.mark.django_db
def test_metrics_bearer_token(client: Client, settings) -> None:
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_BEARER_TOKEN = "scrape-token-123"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    ok = client.get(
        "/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer scrape-token-123"
    )
    assert ok.status_code == 200
    assert b"lucro_transactions_ingested_total" in ok.content


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_share_metrics(gunicorn_server: LiveGunicorn) -> None:
    """Multiprocess mode: whichever gunicorn worker answers, the totals are the node's."""
    client = make_client("Org Metrics")

    def scrape() -> str:
        with urllib.request.urlopen(gunicorn_server.url + "/metrics", timeout=10) as r:  # noqa: S310
            return r.read().decode()

    before = _sample(scrape(), "lucro_transactions_ingested_total", 'outcome="created"')
    for i in range(4):
        request = urllib.request.Request(  # noqa: S310
            gunicorn_server.url + INGEST,
            data=json.dumps(make_batch(2, account_id=f"acc_m{i}")).encode(),
            method="POST",
            headers={"Authorization": f"Token {client.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 202
    for _ in range(3):  # several scrapes, likely served by different workers
        assert (
            _sample(scrape(), "lucro_transactions_ingested_total", 'outcome="created"')
            == before + 8
        )


@pytest.mark.django_db(transaction=True)
def test_live_server_refuses_unauthorised_scrapers(tmp_path: Path) -> None:
    """A node configured for a token and a foreign allow-list refuses a loopback caller."""
    port = free_port()
    proc = start_gunicorn(
        tmp_path,
        port,
        WEB_CONCURRENCY="1",
        METRICS_ALLOWED_IPS="192.0.2.1",
        METRICS_BEARER_TOKEN="tok-live-1",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/api/live/", proc)
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            request = urllib.request.Request(url + "/metrics", headers=headers)  # noqa: S310
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(request, timeout=10)  # noqa: S310
            assert info.value.code == 403
        request = urllib.request.Request(  # noqa: S310
            url + "/metrics",
            headers={"Authorization": "Bearer tok-live-1"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert b"lucro_oldest_pending_age_seconds" in response.read()
    finally:
        stop(proc)


@pytest.mark.parametrize("value", [0.0, 0.07, 1.0, 42.0, 10_000.0])
def test_observe_many_records_what_as_many_observe_calls_would(value: float) -> None:
    from prometheus_client import CollectorRegistry, Histogram

    from lucro.core.metrics import histogram_observe_many

    registry = CollectorRegistry()
    buckets = (0.05, 0.1, 1, 60)
    one_by_one = Histogram("one_by_one", "x", buckets=buckets, registry=registry)
    at_once = Histogram("at_once", "x", buckets=buckets, registry=registry)
    for _ in range(37):
        one_by_one.observe(value)
    histogram_observe_many(at_once, value, 37)
    histogram_observe_many(at_once, value, 0)

    def samples(name: str) -> list[tuple[str, dict[str, str], float]]:
        return [
            (s.name.replace(name, ""), s.labels, s.value)
            for metric in registry.collect()
            if metric.name == name
            for s in metric.samples
            if not s.name.endswith("_created")
        ]

    expected = samples("one_by_one")
    got = samples("at_once")
    assert [(n, labels) for n, labels, _ in got] == [(n, labels) for n, labels, _ in expected]
    # The sum differs from 37 float additions only by rounding.
    assert [v for *_, v in got] == pytest.approx([v for *_, v in expected])
