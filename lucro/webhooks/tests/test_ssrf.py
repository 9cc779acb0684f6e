"""No SSRF: in production mode only https URLs whose host resolves to public addresses,
checked when an endpoint is saved and again at each send (DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from lucro.testing import ApiClient
from lucro.webhooks import services, transport
from lucro.webhooks.destinations import DestinationRefused, address_problem, url_check
from lucro.webhooks.models import WebhookAttempt, WebhookEndpoint
from lucro.webhooks.tests.conftest import Outbox, Receiver

REFUSED_URLS = [
    "http://93.184.215.14/hooks",  # not https
    "https://10.0.0.8/hooks",  # private
    "https://192.168.1.20:8443/hooks",  # private
    "https://172.16.5.4/hooks",  # private
    "https://127.0.0.1/hooks",  # loopback
    "https://[::1]/hooks",  # IPv6 loopback
    "https://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
    "https://[fe80::1]/hooks",  # IPv6 link-local
    "https://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped IPv6 loopback
    "https://[::ffff:10.0.0.1]/hooks",  # IPv4-mapped IPv6 private
    "https://[64:ff9b::a9fe:a9fe]/hooks",  # NAT64 of 169.254.169.254
    "https://[fc00::1]/hooks",  # IPv6 unique local
    "https://0.0.0.0/hooks",  # unspecified
    "https://[::]/hooks",  # unspecified
    "https://100.64.0.1/hooks",  # shared address space (CGNAT)
    "https://224.0.0.1/hooks",  # multicast
    "https://240.0.0.1/hooks",  # reserved
    "https://localhost/hooks",  # a name that resolves to loopback
    "https://2130706433/hooks",  # 127.0.0.1 written as a number
    "https://0x7f.1/hooks",  # 127.0.0.1 in hex shorthand
    "https://no-such-host.invalid/hooks",  # resolves to nothing
]


@pytest.mark.django_db
@pytest.mark.usefixtures("production_mode")
@pytest.mark.parametrize("url", REFUSED_URLS)
def test_production_refuses_private_loopback_and_link_local_urls(api: ApiClient, url: str) -> None:
    answer = api.post("/api/v1/webhooks/", {"url": url, "events": ["batch.completed"]})
    assert answer.status_code == 400, (url, answer.content)
    assert answer["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("production_mode")
def test_production_accepts_a_public_https_url_and_refuses_a_private_one_on_update(
    api: ApiClient,
) -> None:
    public = "https://93.184.215.14/hooks"
    created = api.post("/api/v1/webhooks/", {"url": public, "events": ["batch.completed"]})
    assert created.status_code == 201, created.content
    path = f"/api/v1/webhooks/{created.json()['id']}/"
    answer = api.patch(path, {"url": "https://169.254.169.254/"})
    assert answer.status_code == 400
    assert [e["pointer"] for e in answer.json()["errors"]] == ["/url"]
    assert api.get(path).json()["url"] == public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("10.1.2.3", False),
        ("127.0.0.53", False),
        ("::1", False),
        ("169.254.169.254", False),
        ("::ffff:169.254.169.254", False),
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("fe80::1", False),
        ("ff02::1", False),
        ("100.64.1.1", False),
        ("192.0.2.1", False),  # documentation
    ],
)
def test_address_judgement(address: str, public: bool) -> None:
    assert (address_problem(ipaddress.ip_address(address)) is None) is public


def test_the_embedded_default_allows_loopback_receivers() -> None:
    url_check("http://127.0.0.1:8000/hooks", allow_private=True)
    url_check("http://localhost/hooks", allow_private=True)
    with pytest.raises(DestinationRefused):
        url_check("file:///etc/passwd", allow_private=True)


def _resolve_to(monkeypatch: pytest.MonkeyPatch, name: str, address: str) -> None:
    """Make ``name`` resolve to ``address`` (only this name; others resolve as usual)."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == name:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.django_db
def test_a_name_that_rebinds_to_loopback_after_it_was_saved_is_refused_at_send_time(
    api: ApiClient,
    receiver: Receiver,
    outbox: Outbox,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"https://rebind.example.test:{port}/hooks"
    _resolve_to(monkeypatch, "rebind.example.test", "93.184.215.14")
    created = api.post("/api/v1/webhooks/", {"url": url, "events": ["batch.completed"]})
    assert created.status_code == 201, created.content

    _resolve_to(monkeypatch, "rebind.example.test", "127.0.0.1")  # the attacker's DNS turns
    with django_capture_on_commit_callbacks(execute=True):
        services.event_publish(
            organization_id=api.organization.pk, event_type="batch.completed", data={}
        )
    assert outbox.run(django_capture_on_commit_callbacks, limit=1) == ["retry"]
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("refused:") and "127.0.0.1" in attempt.error
    assert receiver.requests == []  # no connection was made


def test_the_request_goes_to_the_vetted_address_with_the_urls_host(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    _resolve_to(monkeypatch, "receiver.example.test", "127.0.0.1")
    result = transport.post(
        f"http://receiver.example.test:{port}/hooks?x=1",
        b"{}",
        {"webhook-id": "msg_1"},
        timeout=5,
        allow_private=True,
    )
    assert result.status_code == 200
    [received] = receiver.requests
    assert received.headers["host"] == f"receiver.example.test:{port}"
    assert received.path == "/hooks?x=1"


def test_send_time_check_refuses_without_connecting(receiver: Receiver) -> None:
    result = transport.post(receiver.url, b"{}", {}, timeout=5, allow_private=False)
    assert result.status_code is None
    assert result.error.startswith("refused:")
    assert receiver.requests == []
