"""Keep the deployment files honest: the tests run the very command lines they declare."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from lucro.ops.tests.conftest import ROOT, WORKER_COMMAND, LiveGunicorn

WEB_COMMAND = ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application"]


def _compose() -> dict:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_compose_runs_what_the_tests_run() -> None:
    services = _compose()["services"]
    assert services["web"]["command"] == WEB_COMMAND
    assert services["worker"]["command"] == ["celery", *WORKER_COMMAND]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
        assert services[name]["volumes"]
    for name in ("web", "worker", "housekeeping", "webhooks", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_compose_housekeeping_consumes_the_queue_the_settings_route_to() -> None:
    """The sweeper's queue has a consumer of its own; the work worker does not take it."""
    services = _compose()["services"]
    command = services["housekeeping"]["command"]
    assert command[:4] == ["celery", "-A", "config", "worker"]
    assert "-B" not in command  # beat is its own service: exactly one, whatever the scale
    # What the containers' settings derive (compose sets neither variable).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CELERY_QUEUE", "CELERY_HOUSEKEEPING_QUEUE")
    }
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CELERY_HOUSEKEEPING_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE, "
            "settings.CELERY_TASK_ROUTES['lucro.enrichment.sweep']['queue'])",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    housekeeping, work, routed = probe.stdout.split()
    assert command[command.index("-Q") + 1] == housekeeping == routed != work
    assert "-Q" not in services["worker"]["command"]  # the default (work) queue only


def test_compose_webhooks_consumes_the_queue_the_settings_route_to() -> None:
    """Webhook deliveries have consumers of their own; neither other worker takes them."""
    services = _compose()["services"]
    command = services["webhooks"]["command"]
    assert command[:4] == ["celery", "-A", "config", "worker"]
    assert "-B" not in command
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CELERY_QUEUE", "CELERY_HOUSEKEEPING_QUEUE", "CELERY_WEBHOOKS_QUEUE")
    }
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "r = settings.CELERY_TASK_ROUTES; "
            "print(settings.CELERY_WEBHOOKS_QUEUE, r['lucro.webhooks.deliver']['queue'], "
            "r['lucro.webhooks.deliveries_due']['queue'], settings.CELERY_HOUSEKEEPING_QUEUE)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    webhooks, deliver, due, housekeeping = probe.stdout.split()
    assert command[command.index("-Q") + 1] == webhooks == deliver == due != housekeeping
    assert webhooks not in services["housekeeping"]["command"]
    assert "-Q" not in services["worker"]["command"]


def test_make_run_starts_a_webhooks_consumer() -> None:
    """`make run` (scripts/run.py) consumes the webhooks queue the settings derive."""
    text = (ROOT / "scripts" / "run.py").read_text()
    assert '"webhooks": _celery_worker(' in text
    assert '"-Q", webhooks_queue()' in text


def test_dockerfile_is_multi_stage_non_root_and_runs_gunicorn() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert stages == ["python:3.11-slim", "python:3.11-slim"]
    final = text.split("FROM python:3.11-slim\n", 1)[1]
    assert "build-essential" not in final
    assert re.search(r"^USER lucro$", final, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", final, re.MULTILINE)
    assert cmd and json.loads(cmd.group(1)) == WEB_COMMAND


def test_health_checks_use_the_probe_port() -> None:
    """Container health goes to the probe listener, which a busy API port cannot delay."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    bind = re.search(r"GUNICORN_PROBE_BIND=(\S+)", dockerfile)
    assert bind
    probe_port = bind.group(1).rsplit(":", 1)[1]
    healthcheck = dockerfile.split("HEALTHCHECK", 1)[1].split("\nCMD [", 1)[0]
    assert f"127.0.0.1:{probe_port}/api/live/" in healthcheck
    services = _compose()["services"]
    assert services["web"]["environment"]["GUNICORN_PROBE_BIND"].endswith(f":{probe_port}")
    assert f"127.0.0.1:{probe_port}/api/health/" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("worker", "housekeeping", "webhooks", "beat", "migrate"):  # no web server
        assert services[name]["healthcheck"] == {"disable": True}


@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_its_config_serves_health(gunicorn_server: LiveGunicorn) -> None:
    try:
        with urllib.request.urlopen(gunicorn_server.url + "/api/health/", timeout=10) as r:  # noqa: S310
            status, body = r.status, r.read()
    except urllib.error.HTTPError as exc:  # a 503 names the failing check: show it
        status, body = exc.code, exc.read()
    assert status == 200, body[:2000]
    assert json.loads(body)["status"] == "ok"


def test_bytecode_is_compiled_at_install_not_in_each_process() -> None:
    """PYTHONDONTWRITEBYTECODE is set in the image (and on the machines that run this): a
    dependency installed without its bytecode is compiled from source in every process
    that imports it (measured: a worker's imports took 10.5 s instead of 3.7 s)."""
    import importlib.util

    import numpy.ma.core  # imported lazily by numpy, on a report's first np.unique

    compiled = importlib.util.cache_from_source(numpy.ma.core.__file__)
    assert Path(compiled).is_file(), "make install compiles the dependencies' bytecode"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("--compile-bytecode") == 2  # the dependencies, then the app
    final = dockerfile.split("FROM python:3.11-slim\n", 1)[1]
    assert re.search(r"^RUN python -m compileall -q config lucro", final, re.MULTILINE)
