"""Drive the whole pipeline like a bank integration would (SPEC §7)."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lucro.ops.simulator import generate_payload

HTTP_TIMEOUT = 10.0  # seconds per request: a hung server must not hang the simulator
INGEST_PATH = "/api/v1/integrations/transactions/"


class HttpTransport:
    """JSON over HTTP to a running server."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(  # noqa: S310
            url,
            data=data,
            method=method,
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:  # noqa: S310
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw or b"null")
            except ValueError:
                return exc.code, {"detail": raw[:200].decode(errors="replace")}
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CommandError(f"Cannot reach {self.base_url}: {exc}") from exc


class InProcessTransport:
    """The same requests through Django's full stack in this process (no server needed)."""

    def __init__(self, token: str) -> None:
        from django.conf import settings
        from django.test import Client

        hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"]
        self.client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
        self.headers = {"Authorization": f"Token {token}"}

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        if method == "POST":
            resp = self.client.post(
                path,
                data=json.dumps(body),
                content_type="application/json",
                headers=self.headers,
                secure=True,
            )
        else:
            resp = self.client.get(path, params or {}, headers=self.headers, secure=True)
        try:
            return resp.status_code, json.loads(resp.content or b"null")
        except ValueError:
            return resp.status_code, {"detail": resp.content[:200].decode(errors="replace")}


def _require_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise CommandError(f"Cannot resolve {host!r}: {exc}") from exc
    if not all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses):
        raise CommandError(
            f"{host} is not a loopback address; pass --allow-remote to send "
            "simulated data to another machine."
        )


class Command(BaseCommand):
    help = (
        "Generate realistic accounts and transactions, send them as one batch, follow "
        "its enrichment and print each account's summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="Base URL of a running server (default: in-process)")
        parser.add_argument("--token", help="API key for --url")
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="Allow a --url that is not a loopback address",
        )
        parser.add_argument(
            "--org",
            default="simulator",
            help="Organization for the in-process mode (created if needed)",
        )
        parser.add_argument("--accounts", type=int, default=1)
        parser.add_argument(
            "--transactions", type=int, default=None, help="Per account (default: random 10–15)"
        )
        parser.add_argument(
            "--currency", default="USD", help="ISO 4217 code, or MIXED for a currency per account"
        )
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--timeout", type=float, default=120.0, help="Seconds to wait for the batch to finish"
        )
        parser.add_argument("--no-wait", action="store_true", help="Print the batch id and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["accounts"] < 1 or (
            options["transactions"] is not None and options["transactions"] < 1
        ):
            raise CommandError("--accounts and --transactions must be at least 1.")
        console = Console(file=self.stdout._out, highlight=False)  # type: ignore[attr-defined,arg-type]
        if options["url"]:
            if not options["token"]:
                raise CommandError("--url needs --token (an API key).")
            if not options["allow_remote"]:
                _require_loopback(options["url"])
            self._simulate(console, HttpTransport(options["url"], options["token"]), options)
            return
        from lucro.tenancy.services import api_key_create, organization_get_or_create

        organization = organization_get_or_create(name=options["org"])
        key = api_key_create(organization=organization, name="simulate_integration")
        restore = self._run_tasks_inline()
        try:
            self._simulate(console, InProcessTransport(key.raw_key), options)
        finally:
            restore()

    def _simulate(self, console: Console, transport: Any, options: dict[str, Any]) -> None:
        payload = generate_payload(
            accounts=options["accounts"],
            transactions=options["transactions"],
            currency=options["currency"],
            seed=options["seed"],
        )
        status, body = transport.request("POST", INGEST_PATH, payload)
        if status != 202:
            raise CommandError(f"Ingestion answered {status}: {json.dumps(body)[:2000]}")
        batch_id = body["batch_id"]
        console.print(f"batch_id: {batch_id}")
        console.print(
            f"sent {body['total_transactions']} transactions for "
            f"{len(payload['accounts'])} account(s): created {body['created']}, "
            f"updated {body['updated']}, unchanged {body['unchanged']}, "
            f"deleted {body['deleted']}"
        )
        if options["no_wait"]:
            return
        final = self._follow(
            console, transport, batch_id, body["total_transactions"], options["timeout"]
        )
        if final is None:
            raise CommandError(
                f"Batch {batch_id} did not finish within {options['timeout']}s "
                "(is a worker running?)."
            )
        console.print(f"batch {batch_id} {final['status']}: {final['counts']}")
        dates = [t["date"][:10] for t in payload["transactions"]]
        for account in payload["accounts"]:
            self._summary(console, transport, account["account_id"], min(dates), max(dates))
        self._organization_summary(console, transport, min(dates), max(dates))
        if final["status"] != "completed":
            raise CommandError(f"Batch {batch_id} ended {final['status']}.")

    @staticmethod
    def _run_tasks_inline() -> Callable[[], None]:
        """In-process mode needs no worker or broker: tasks run here as they are queued.

        The request log lines would interleave with the progress bar; they stay at WARNING.
        Returns a function that undoes both (call_command runs in a longer-lived process).
        """
        import logging

        from lucro.enrichment.tasks import tasks_inline

        request_logger = logging.getLogger("lucro.request")
        level = request_logger.level
        inline = tasks_inline()
        inline.__enter__()
        request_logger.setLevel(logging.WARNING)

        def restore() -> None:
            inline.__exit__(None, None, None)
            request_logger.setLevel(level)

        return restore

    @staticmethod
    def _follow(
        console: Console, transport: Any, batch_id: str, total: int, timeout: float
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with Progress(
            TextColumn("enriching"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("batch", total=max(total, 1), status="pending")
            while time.monotonic() < deadline:
                status, doc = transport.request("GET", f"/api/v1/batches/{batch_id}/")
                if status != 200:
                    raise CommandError(f"Batch status answered {status}: {doc}")
                counts = doc["counts"]
                progress.update(
                    task, completed=counts["completed"] + counts["failed"], status=doc["status"]
                )
                if doc["status"] in ("completed", "failed"):
                    return dict(doc)
                time.sleep(0.25)
        return None

    @staticmethod
    def _summary(console: Console, transport: Any, account_id: str, start: str, end: str) -> None:
        status, doc = transport.request(
            "GET",
            f"/api/v1/reports/accounts/{urllib.parse.quote(account_id)}/summary/",
            params={"start_date": start, "end_date": end},
        )
        if status == 404 and not (isinstance(doc, dict) and doc.get("account_id")):
            console.print(
                f"[yellow]No summary for {account_id}: the server answered 404 "
                f"({(doc or {}).get('detail', 'not found')}). Is the reports API "
                "deployed?[/yellow]"
            )
            return
        if status != 200:
            console.print(f"[red]Summary of {account_id} answered {status}: {doc}[/red]")
            return
        metrics = doc.get("metrics", {})
        table = Table(title=f"{account_id} · {doc.get('currency', '')} · {start} → {end}")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for name in ("total_transactions", "total_spend", "total_income", "net"):
            table.add_row(name, str(metrics.get(name, "")))
        console.print(table)
        top = Table(title="top categories")
        for column in ("category", "total_spend", "transactions"):
            top.add_column(column, justify="right" if column != "category" else "left")
        for row in doc.get("top_categories", []):
            top.add_row(
                str(row.get("category")),
                str(row.get("total_spend")),
                str(row.get("transaction_count")),
            )
        console.print(top)
        console.print(f"processing_status: {doc.get('processing_status')}")

    @staticmethod
    def _organization_summary(console: Console, transport: Any, start: str, end: str) -> None:
        """Print the organization's totals in its base currency, and what had no rate."""
        status, doc = transport.request(
            "GET", "/api/v1/reports/summary/", params={"start_date": start, "end_date": end}
        )
        if status != 200 or not isinstance(doc, dict):
            console.print(f"[red]The organization summary answered {status}: {doc}[/red]")
            return
        metrics = doc.get("metrics", {})
        table = Table(
            title=f"organization · all accounts in {doc.get('currency', '')} · {start} → {end}"
        )
        table.add_column("metric")
        table.add_column("value", justify="right")
        for name in ("total_transactions", "total_spend", "total_income", "net"):
            table.add_row(name, str(metrics.get(name, "")))
        console.print(table)
        for code, missing in sorted((doc.get("unconverted") or {}).items()):
            console.print(
                f"[yellow]{missing.get('transaction_count')} {code} transaction(s) "
                f"(net {missing.get('total')} {code}) had no exchange rate on their day and "
                "are not in the totals: load or upload rates "
                "(manage.py load_exchange_rates, POST /api/v1/exchange-rates/).[/yellow]"
            )
