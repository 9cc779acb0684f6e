"""The optional daily fetch (FX_SOURCE_URL) against a local server: stored, or nothing at all."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings as django_settings
from structlog.testing import capture_logs

from lucro.fx.models import ExchangeRate
from lucro.fx.services import rates_fetch
from lucro.fx.tests.helpers import put
from lucro.ops.tasks import fetch_exchange_rates

pytestmark = pytest.mark.django_db

DAILY = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time='2025-10-30'>
      <Cube currency='USD' rate='1.1550'/>
      <Cube currency='ZAR' rate='20.0421'/>
      <Cube currency='CYP' rate='0.58'/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<Envelope><Cube><Cube time='2025-10-30'><Cube currency='USD' rate='&lol2;'/></Cube></Cube>
</Envelope>
"""
BAD_RATE = DAILY.replace(b"rate='20.0421'", b"rate='-3'")
TIMEOUT = 0.5


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(TIMEOUT * 4)
        if self.path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/daily.xml")
            self.end_headers()
            return
        if self.path == "/to-daily":
            self.send_response(302)
            self.send_header("Location", "/daily.xml")
            self.end_headers()
            return
        bodies = {
            "/daily.xml": DAILY,
            "/slow": DAILY,
            "/garbage": b"\x00\xffnot xml at all",
            "/html": b"<html><body>Maintenance</body></html>",
            "/bomb": BOMB,
            "/bad-rate": BAD_RATE,
        }
        body = bodies.get(self.path)
        if body is None:
            self.send_response(500)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the timeout case)
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_off_when_no_source_is_set(settings) -> None:
    settings.FX_SOURCE_URL = ""
    assert rates_fetch() == 0
    assert "fetch-exchange-rates" not in django_settings.CELERY_BEAT_SCHEDULE


def test_the_daily_file_is_stored_as_shared_rates(settings, server: str) -> None:
    settings.FX_SOURCE_URL = f"{server}/daily.xml"
    put(dt.date(2025, 10, 30), "EUR", "USD", "1.1550")  # already there: unchanged
    with capture_logs() as logs:
        assert fetch_exchange_rates() == 1  # the task calls the service
    rows = {r.quote: r for r in ExchangeRate.objects.filter(organization=None)}
    assert set(rows) == {"USD", "ZAR"}
    assert (rows["ZAR"].rate, rows["ZAR"].source) == (Decimal("20.0421"), "fetch")
    assert rows["USD"].source == "ecb"
    assert any(log["event"] == "fx_fetched" for log in logs)
    # Again: nothing new.
    assert rates_fetch() == 0
    # A same-scheme redirect is followed.
    settings.FX_SOURCE_URL = f"{server}/to-daily"
    assert rates_fetch() == 0


@pytest.mark.parametrize(
    "path", ["/slow", "/500", "/garbage", "/html", "/bomb", "/bad-rate", "/to-ftp"]
)
def test_a_failure_is_logged_changes_nothing_and_never_raises(settings, server: str, path) -> None:
    settings.FX_SOURCE_URL = f"{server}{path}"
    settings.FX_FETCH_TIMEOUT = TIMEOUT
    started = time.monotonic()
    with capture_logs() as logs:
        assert rates_fetch() == 0
    assert time.monotonic() - started < TIMEOUT * 3
    assert not ExchangeRate.objects.exists()
    (failure,) = [log for log in logs if log["event"] == "fx_fetch_failed"]
    assert failure["log_level"] == "warning"


def test_an_unreachable_source_changes_nothing(settings) -> None:
    settings.FX_SOURCE_URL = "http://127.0.0.1:9/daily.xml"  # discard port: nothing listens
    settings.FX_FETCH_TIMEOUT = TIMEOUT
    assert rates_fetch() == 0
    assert not ExchangeRate.objects.exists()


def test_the_task_goes_to_the_housekeeping_queue() -> None:
    route = django_settings.CELERY_TASK_ROUTES["lucro.ops.fetch_exchange_rates"]
    assert route == {"queue": django_settings.CELERY_HOUSEKEEPING_QUEUE}


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CELERY_BEAT_SCHEDULE.get('fetch-exchange-rates'))",
        ],
        cwd=django_settings.BASE_DIR,
        env={**_base_env(), "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FX_")}


def test_the_beat_entry_exists_only_with_a_source_and_bad_values_stop_start_up() -> None:
    scheduled = _settings_with(
        {"FX_SOURCE_URL": "https://example.invalid/daily.xml", "FX_FETCH_INTERVAL": "3600"}
    )
    assert scheduled.returncode == 0, scheduled.stderr
    assert "'lucro.ops.fetch_exchange_rates'" in scheduled.stdout
    assert "3600.0" in scheduled.stdout
    for env in (
        {"FX_SOURCE_URL": "file:///etc/passwd"},
        {"FX_FETCH_TIMEOUT": "0"},
        {"FX_FETCH_INTERVAL": "10"},
    ):
        refused = _settings_with(env)
        assert refused.returncode != 0, env
        assert "ImproperlyConfigured" in refused.stderr, env
