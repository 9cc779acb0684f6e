from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from lucro.core.currencies import MINOR_UNITS
from lucro.ingestion.models import Batch, IngestionStatus, Transaction
from lucro.ops.simulator import generate_payload
from lucro.ops.tests.conftest import BIN, ROOT, LiveGunicorn, Proc, process_env
from lucro.testing import make_client


def test_payload_is_seedable_realistic_and_valid() -> None:
    one = generate_payload(accounts=3, transactions=None, currency="MIXED", seed=7)
    two = generate_payload(accounts=3, transactions=None, currency="MIXED", seed=7)
    assert one["transactions"] == two["transactions"]
    assert one["request_id"] != two["request_id"]  # a re-run is a new request
    per_account: dict[str, int] = {}
    for txn in one["transactions"]:
        per_account[txn["account_id"]] = per_account.get(txn["account_id"], 0) + 1
        places = -Decimal(txn["amount"]).as_tuple().exponent
        assert places <= MINOR_UNITS[txn["iso_currency_code"]]
        assert Decimal(txn["amount"]) != 0
    assert all(10 <= n <= 15 for n in per_account.values())
    assert one["total_transactions"] == len(one["transactions"])
    many = generate_payload(accounts=20, transactions=15, currency="KES", seed=1)
    names = " ".join(str(t["name"]) for t in many["transactions"])
    assert re.search(r"MPESA|SAFARICOM|KPLC|SHOPRITE|JUMIA|BOLT|MTN|AIRTEL", names)


@pytest.mark.django_db(transaction=True)
def test_in_process_run_completes_and_prints_the_summary() -> None:
    out = io.StringIO()
    call_command(
        "simulate_integration", "--accounts", "2", "--seed", "3", "--timeout", "60", stdout=out
    )
    text = out.getvalue()
    batch_id = re.search(r"batch_id: ([0-9a-f-]{36})", text)
    assert batch_id, text
    assert (
        not Transaction.objects.filter(batch_id=batch_id.group(1))
        .exclude(ingestion_status=IngestionStatus.COMPLETED)
        .exists()
    )
    assert "completed" in text
    assert "total_spend" in text or "No summary" in text


def test_refuses_a_remote_url_without_allow_remote() -> None:
    with pytest.raises(CommandError, match="loopback"):
        call_command("simulate_integration", "--url", "http://192.0.2.10:8000", "--token", "x")


@pytest.mark.django_db(transaction=True)
def test_over_http_against_gunicorn_and_a_worker(
    gunicorn_server: LiveGunicorn, celery_worker_process: Proc
) -> None:
    key = make_client("Org Sim HTTP").key
    result = subprocess.run(
        [
            str(BIN / "python"),
            "manage.py",
            "simulate_integration",
            "--url",
            gunicorn_server.url,
            "--token",
            key,
            "--accounts",
            "1",
            "--seed",
            "5",
            # Generous: the worker's first poll of the filesystem broker can come late on
            # a machine running both CI suites at once (once: nothing picked up in 60 s).
            "--timeout",
            "180",
        ],
        cwd=ROOT,
        env=process_env(LOG_JSON="False"),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    batch_id = re.search(r"batch_id: ([0-9a-f-]{36})", result.stdout)
    assert batch_id
    assert Batch.objects.filter(pk=batch_id.group(1)).exists()
    assert "completed" in result.stdout
    assert "total_spend" in result.stdout
