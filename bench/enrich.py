"""Enrichment benchmark: one worker process's claim + chain + write-back, 1 000 rules.

The measured path is the real one, in this process and without the broker: the chunk
service a worker task calls (``chunk_process``: one claim statement, the enricher chain,
one bulk write-back, batch bookkeeping), repeated until a 50 000-transaction batch is done;
three such batches, judged on the median. The chain is the default one (merchant memory,
rules, the learned model on the rows the rules leave); a quarter of the lines name local
merchants no rule knows, so the model has real work. The same is measured with the rules
alone (the model left out of ``ENRICHERS``) in the same run. Then the same through the
broker: one real ``celery worker`` process (concurrency 1) drains a 50 000-transaction
batch, fan-out and task overhead included. The reference, measured in the same run on a
smaller sample, is the naive design: a loop over every rule for every row and one
``save()`` per row.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from bench.common import BenchRow, private_queue, tables_vacuum
from lucro.enrichment import services, tasks
from lucro.enrichment.enrichers import matcher_current
from lucro.enrichment.matcher import RuleSpec, normalize, precedence_key
from lucro.enrichment.model import model_current, model_forget, model_path
from lucro.enrichment.models import Rule
from lucro.enrichment.rules_version import rules_version_bump
from lucro.ingestion import services as ingestion_services
from lucro.ingestion.models import Batch, IngestionStatus, Transaction
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization

TOTAL_RULES = 1_000
TRANSACTIONS = 50_000
RUNS = 3
REFERENCE_SAMPLE = 2_000
TARGET = 30_000.0
KNOWN = [
    "AMAZON MKTPLACE",
    "UBER TRIP",
    "STARBUCKS",
    "SHOPRITE",
    "SAFARICOM AIRTIME",
    "M-PESA PAYBILL KPLC",
    "JUMIA",
    "ENGEN",
    "NETFLIX.COM",
    "BOLT.EU",
    "PICK N PAY",
    "MTN MOMO CASH OUT",
    "AIRTEL MONEY",
    "WOOLWORTHS",
    "TOTALENERGIES",
    "DSTV",
]


# Lines no rule knows: a local merchant's name, a word saying what it is, a suburb, as card
# lines print them. 60 × 24 × 30 combinations, so a batch's model work is mostly new
# documents (the model enricher caches each document's answer).
LOCAL_NAMES = [
    f"{a}{b}"
    for a in ("MAMA ", "BABA ", "UNCLE ", "SIS ", "KWA ", "CHEZ ")
    for b in (
        "NJERI",
        "TUNDE",
        "THABO",
        "AMA",
        "KOFI",
        "ZANELE",
        "WANJIRU",
        "SIPHO",
        "ADAEZE",
        "JUMA",
    )
]
LOCAL_KINDS = [
    "BUTCHERY",
    "DELI",
    "CAFE",
    "PHARMACY",
    "HARDWARE",
    "TAVERN",
    "PARKING",
    "SALON",
    "BAKERY",
    "SUPERMARKET",
    "LIQUORS",
    "RESTAURANT",
    "GRILL",
    "MINI MART",
    "CHEMIST",
    "BARBERSHOP",
    "TYRES",
    "FUEL",
    "LAUNDRY",
    "BOOKSHOP",
    "FLORIST",
    "CLINIC",
    "GYM",
    "MOTORS",
]
LOCAL_PLACES = [
    "SOWETO",
    "KASARANI",
    "IKEJA",
    "OSU",
    "RONDEBOSCH",
    "WESTLANDS",
    "LEKKI",
    "KUMASI",
    "DURBAN",
    "THIKA",
    "ABUJA",
    "TAMALE",
    "PRETORIA",
    "KISUMU",
    "YABA",
    "TEMA",
    "MIDRAND",
    "NAKURU",
    "SURULERE",
    "ACCRA",
    "BRAAMFONTEIN",
    "ELDORET",
    "AJAH",
    "KOFORIDUA",
    "SANDTON",
    "MOMBASA",
    "IBADAN",
    "CAPE COAST",
    "UMHLANGA",
    "NYERI",
]


def _rules(organization: Organization) -> int:
    """Top the global defaults up to TOTAL_RULES with the organization's own rules."""
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    existing = Rule.objects.filter(is_active=True, organization__isnull=True).count()
    rng = random.Random(7)
    new = []
    for i in range(max(0, TOTAL_RULES - existing)):
        kind = ("contains", "contains", "contains", "starts_with", "exact", "regex")[i % 6]
        pattern = rf"\bvendor{i:04d} (ltd|plc)\b" if kind == "regex" else f"vendor{i:04d}"
        new.append(
            Rule(
                organization=organization,
                category_id=rng.choice(categories),
                pattern=pattern,
                match_type=kind,
                priority=rng.randint(10, 90),
                field=("either", "merchant", "description")[i % 3],
            )
        )
    Rule.objects.bulk_create(new)
    rules_version_bump()
    return existing + len(new)


def _ingest(organization: Organization, n: int, tag: str) -> uuid.UUID:
    # Seeded by the tag: each run's statement lines are new to the matcher's text cache,
    # as a new batch's mostly are (merchant names repeat, references do not).
    rng = random.Random(f"{tag}{n}")
    txns = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.4:
            name = f"POS {rng.choice(KNOWN)} REF{rng.randint(0, 10**9):09d}"
        elif roll < 0.6:
            name = f"PAYMENT VENDOR{rng.randint(0, 999):04d} LTD {i}"
        elif roll < 0.75:
            name = f"TRANSFER {rng.randint(0, 10**8)} QWX"
        else:
            name = (
                f"POS PURCHASE {rng.choice(LOCAL_NAMES)} {rng.choice(LOCAL_KINDS)} "
                f"{rng.choice(LOCAL_PLACES)} {rng.randint(1, 28):02d}/10 "
                f"CARD {rng.randint(0, 9999):04d}"
            )
        txns.append(
            {
                "transaction_id": f"{tag}{i}",
                "account_id": f"bench_enrich_{tag}",
                "amount": f"{'-' if rng.random() < 0.85 else ''}{rng.randint(1, 9000)}.50",
                "iso_currency_code": "KES",
                "date": "2025-06-15",
                "name": name,
                "merchant_name": None if roll > 0.4 else name.split(" REF")[0][4:],
            }
        )
    body = json.dumps(
        {
            "accounts": [
                {"account_id": f"bench_enrich_{tag}", "name": "Bench", "type": "depository"}
            ],
            "transactions": txns,
        }
    ).encode()
    return ingestion_services.batch_ingest(
        organization=organization, body=body, api_key=None, idempotency_key=None
    ).batch_id


def _reference(batch_id: uuid.UUID, organization: Organization) -> float:
    """The naive design: per row, loop over the rules in precedence order; save() each row."""
    specs = sorted(
        (
            RuleSpec.from_rule(r)
            for r in Rule.objects.filter(is_active=True).filter(organization__in=[organization])
            | Rule.objects.filter(is_active=True, organization__isnull=True)
        ),
        key=precedence_key,
    )
    regexes = {s.id: re.compile(s.pattern, re.IGNORECASE) for s in specs if s.match_type == "regex"}
    started = time.perf_counter()
    rows = list(Transaction.objects.filter(batch_id=batch_id)[:REFERENCE_SAMPLE])
    for txn in rows:
        chosen = None
        for spec in specs:
            for text, field in ((txn.merchant_name, "merchant"), (txn.description, "description")):
                if not text or spec.field not in (field, "either"):
                    continue
                if (spec.direction == "in" and txn.amount < 0) or (
                    spec.direction == "out" and txn.amount > 0
                ):
                    continue
                folded, pattern = normalize(text), normalize(spec.pattern)
                if (
                    (spec.match_type == "contains" and pattern in folded)
                    or (spec.match_type == "starts_with" and folded.startswith(pattern))
                    or (spec.match_type == "exact" and folded == pattern)
                    or (spec.match_type == "regex" and regexes[spec.id].search(text))
                ):
                    chosen = spec
                    break
            if chosen:
                break
        txn.category_id = chosen.category_id if chosen else None
        txn.category_source = "rule" if chosen else "none"
        txn.category_rule_id = chosen.id if chosen else None
        txn.ingestion_status = IngestionStatus.COMPLETED
        txn.save()
    return len(rows) / (time.perf_counter() - started)


def _in_process_rate(organization: Organization, tag: str) -> tuple[float, int]:
    batch_id = _ingest(organization, TRANSACTIONS, tag)
    chunks = 0
    started = time.perf_counter()
    while services.chunk_process(batch_id=batch_id).claimed:
        chunks += 1
    elapsed = time.perf_counter() - started
    done = Transaction.objects.filter(
        batch_id=batch_id, ingestion_status=IngestionStatus.COMPLETED
    ).count()
    assert done == TRANSACTIONS, f"only {done} of {TRANSACTIONS} completed"
    return TRANSACTIONS / elapsed, chunks


def _finished_at(batch_id: uuid.UUID, timeout: float) -> dt.datetime | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = Batch.objects.filter(pk=batch_id, finished_at__isnull=False).values_list(
            "finished_at", flat=True
        )
        if done:
            return done[0]
        time.sleep(0.1)  # the figure comes from finished_at: polling only ends the wait
    return None


def _worker_rate(organization: Organization) -> float | None:
    """Drain a batch with one real ``celery worker`` process; return rows/s (None: no worker)."""
    # The queue is the bench's own: nothing else consumes it, and the worker takes nothing
    # else (its fan-out goes there too, through CELERY_QUEUE).
    with private_queue("bench-enrich") as (queue, sent):
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1"]
        worker = subprocess.Popen(
            [*command, "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue],
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "CELERY_QUEUE": queue, "LOG_LEVEL": "WARNING"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            # Warm up: the worker boots, connects and compiles its matcher on a small batch.
            if _finished_at(_ingest(organization, 100, "warm"), 120) is None:
                return None
            batch_id = _ingest(organization, TRANSACTIONS, "worker")
            finished_at = _finished_at(batch_id, 300)
            if finished_at is None:
                return None
            return TRANSACTIONS / (finished_at - sent[batch_id]).total_seconds()
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=5)


def run() -> list[BenchRow]:
    settings.INGEST_MAX_TRANSACTIONS = max(settings.INGEST_MAX_TRANSACTIONS, TRANSACTIONS)
    original_send: Any = tasks._send_batch
    tasks._send_batch = lambda batch_id: None  # measured in-process, no broker
    organization = Organization.objects.create(name=f"bench-enrich-{uuid.uuid4().hex[:8]}")
    tables_vacuum("ingestion_transaction", "ingestion_batch")
    try:
        rule_count = _rules(organization)
        compile_started = time.perf_counter()
        matcher_current()
        compile_ms = (time.perf_counter() - compile_started) * 1000
        # The enricher's own load (a worker's first chunk pays it once), timed apart from
        # importing scikit-learn and skops (a worker imports them once at start).
        import_started = time.perf_counter()
        import sklearn.feature_extraction.text  # noqa: F401
        import skops.io  # noqa: F401

        import_ms = (time.perf_counter() - import_started) * 1000
        model_forget()
        load_started = time.perf_counter()
        model = model_current()
        load_ms = (time.perf_counter() - load_started) * 1000
        assert model is not None, f"no model at {model_path()}"
        rates, rules_rates = [], []
        full_chain = list(settings.ENRICHERS)
        # The rules-only chain leaves out both enrichers that read the model.
        rules_only = [
            path
            for path in full_chain
            if not path.endswith((".ModelEnricher", ".CorrectionsEnricher"))
        ]
        for index in range(RUNS):
            # Alternated, so that both see the same machine.
            settings.ENRICHERS = rules_only
            rules_rates.append(_in_process_rate(organization, f"q{index}")[0])
            settings.ENRICHERS = full_chain
            rate, chunks = _in_process_rate(organization, f"m{index}")
            rates.append(rate)
        rate, rules_rate = statistics.median(rates), statistics.median(rules_rates)
        by_source = dict(
            Transaction.objects.filter(organization=organization, transaction_id__startswith="m")
            .values_list("category_source")
            .annotate(n=Count("pk"))
            .values_list("category_source", "n")
        )
        categorised = 1 - by_source.get("none", 0) / (RUNS * TRANSACTIONS)
        by_model = by_source.get("model", 0) / (RUNS * TRANSACTIONS)
        reference_batch = _ingest(organization, REFERENCE_SAMPLE, "r")
        reference = _reference(reference_batch, organization)
        worker = _worker_rate(organization)
    finally:
        settings.ENRICHERS = full_chain
        tasks._send_batch = original_send
        with transaction.atomic():
            Transaction.objects.filter(organization=organization).delete()
            organization.delete()  # cascades to its batches, accounts and rules
            rules_version_bump()
    spread = f"{min(rates):,.0f}–{max(rates):,.0f}"
    broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
    return [
        BenchRow(
            f"enrich, full chain (memory, {rule_count} rules, model {model.version}), chunk "
            f"{settings.ENRICH_CHUNK_SIZE}, {TRANSACTIONS:,} txns x {RUNS} ({chunks} chunks "
            f"each; {categorised:.0%} categorised, {by_model:.0%} by the model), median",
            f"{rate:,.0f} txn/s ({spread})",
            f"≥ {TARGET:,.0f} txn/s",
            f"per-row rule loop + save(): {reference:,.0f} txn/s",
            "PASS" if rate >= TARGET else "FAIL",
        ),
        BenchRow(
            f"enrich, rules only (model left out), same lines x {RUNS}, median",
            f"{rules_rate:,.0f} txn/s ({min(rules_rates):,.0f}–{max(rules_rates):,.0f})",
            f"≥ {TARGET:,.0f} txn/s",
            "-",
            "PASS" if rules_rate >= TARGET else "FAIL",
        ),
        BenchRow(
            f"enrich through 1 celery worker process ({broker} broker), {TRANSACTIONS:,} "
            "txns, queued → finished",
            "worker did not finish" if worker is None else f"{worker:,.0f} txn/s",
            f"≥ {TARGET:,.0f} txn/s",
            "-",
            "FAIL" if worker is None or worker < TARGET else "PASS",
        ),
        BenchRow(
            f"enrich, compile matcher of {rule_count} rules", f"{compile_ms:,.0f} ms", "-", "-", "-"
        ),
        BenchRow(
            f"enrich, load the model ({len(model.classes)} categories, skops; importing "
            f"scikit-learn and skops first took {import_ms:,.0f} ms)",
            f"{load_ms:,.0f} ms",
            "-",
            "-",
            "-",
        ),
    ]
