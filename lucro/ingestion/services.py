"""Ingestion: validate a batch, store it atomically and idempotently, queue enrichment."""

from __future__ import annotations

import hashlib
import itertools
import random
import time
import uuid
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from lucro.core.errors import Conflict, ServiceUnavailable, transient_db_error
from lucro.ingestion.metrics import INGEST_RETRIES, TRANSACTIONS_INGESTED
from lucro.ingestion.models import Account, Batch
from lucro.ingestion.payload import AccountIn, BatchIn, parse_batch, pointer_errors
from lucro.ingestion.writers import UpsertCounts, transactions_upsert
from lucro.reports.cache import accounts_touched
from lucro.tenancy.models import ApiKey, Organization

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IngestResult:
    batch_id: uuid.UUID
    body: dict[str, Any]
    replayed: bool


def batch_location(batch_id: uuid.UUID | str) -> str:
    """Return the status URL of a batch."""
    return f"/api/v1/batches/{batch_id}/"


def _replay(organization: Organization, key: str, request_hash: str) -> IngestResult | None:
    batch = Batch.objects.filter(organization=organization, request_id=key).first()
    if batch is None:
        return None
    if batch.request_hash != request_hash:
        raise Conflict(
            f"The idempotency key {key!r} was already used with a different body.",
            extra={"batch_id": str(batch.id)},
        )
    assert batch.response is not None
    return IngestResult(batch.id, batch.response, replayed=True)


def _resolve_accounts(organization: Organization, parsed: BatchIn) -> list[AccountIn]:
    """Check account references and currencies; return the accounts that need a write.

    Raise a validation problem naming every transaction whose account is unknown (another
    organization's account is unknown too: nothing reveals that it exists) or whose
    currency differs from its account's. The result holds only new accounts and stored
    ones whose fields (or blank currency) change: an unchanged account is not written, so
    it is not locked, and concurrent batches naming it do not wait on each other.
    """
    referenced = {a.account_id for a in parsed.accounts}
    referenced.update(t.account_id for t in parsed.transactions)
    stored = {
        a.account_id: a
        for a in Account.objects.filter(organization=organization, account_id__in=referenced)
    }
    declared = {a.account_id: a for a in parsed.accounts}
    errors: list[dict[str, str]] = []
    currency: dict[str, str] = {}
    for index, account in enumerate(parsed.accounts):
        existing = stored.get(account.account_id)
        if (
            existing is not None
            and existing.currency
            and account.currency
            and account.currency != existing.currency
        ):
            errors.append(
                {
                    "pointer": f"/accounts/{index}/iso_currency_code",
                    "detail": f"The account's currency is {existing.currency}; it cannot change.",
                }
            )
        chosen = (existing.currency if existing is not None else "") or account.currency
        if chosen:
            currency[account.account_id] = chosen
    for account_id, existing in stored.items():
        if existing.currency:
            currency.setdefault(account_id, existing.currency)
    for index, txn in enumerate(parsed.transactions):
        if txn.account_id not in declared and txn.account_id not in stored:
            errors.append(
                {
                    "pointer": f"/transactions/{index}/account_id",
                    "detail": f"Unknown account {txn.account_id!r}: it is neither in "
                    "accounts[] nor one of your accounts.",
                }
            )
            continue
        # An account with no currency yet takes its first transaction's.
        expected = currency.setdefault(txn.account_id, txn.currency)
        if txn.currency != expected:
            errors.append(
                {
                    "pointer": f"/transactions/{index}/iso_currency_code",
                    "detail": f"Is {txn.currency} but account {txn.account_id!r} is in {expected}.",
                }
            )
    pointer_errors(errors)
    writes: list[AccountIn] = []
    for account_id, account in declared.items():
        account.currency = currency.get(account_id, account.currency)
        existing = stored.get(account_id)
        if existing is None or _account_changes(existing, account):
            writes.append(account)
    # Accounts stored without a currency learn it now.
    for account_id, existing in stored.items():
        if not existing.currency and account_id in currency and account_id not in declared:
            writes.append(
                AccountIn(
                    existing.account_id,
                    existing.name,
                    existing.type,
                    existing.subtype,
                    existing.mask,
                    currency[account_id],
                )
            )
    return writes


def _account_changes(existing: Account, account: AccountIn) -> bool:
    """Return whether writing ``account`` would change the stored row."""
    return (existing.name, existing.type, existing.subtype, existing.mask) != (
        account.name,
        account.type,
        account.subtype,
        account.mask,
    ) or (not existing.currency and bool(account.currency))


def _upsert_accounts(organization: Organization, accounts: list[AccountIn]) -> None:
    """Create or update accounts; an account's currency never changes once set.

    Rows are written in ``account_id`` order: two batches naming the same accounts in
    different orders otherwise lock them in different orders and deadlock (seen: 18 of 80
    concurrent requests).
    """
    accounts = sorted(accounts, key=attrgetter("account_id"))
    if not accounts:
        return
    Account.objects.bulk_create(
        [
            Account(
                organization=organization,
                account_id=a.account_id,
                name=a.name,
                type=a.type,
                subtype=a.subtype,
                mask=a.mask,
                currency=a.currency or "",
            )
            for a in accounts
        ],
        update_conflicts=True,
        unique_fields=["organization", "account_id"],
        update_fields=["name", "type", "subtype", "mask", "updated_at"],
    )
    # Currency is set only where it was still blank (an account created without one).
    for a in accounts:
        if a.currency:
            Account.objects.filter(
                organization=organization, account_id=a.account_id, currency=""
            ).update(currency=a.currency)


def _enqueue(batch_id: uuid.UUID) -> None:
    """Queue enrichment of a committed batch; a broker outage is left to the sweeper."""
    from lucro.enrichment.tasks import enrich_batch

    try:
        enrich_batch.delay(str(batch_id))
    except Exception:
        logger.exception("enqueue_failed", batch_id=str(batch_id))


def batch_ingest(
    *,
    organization: Organization,
    body: bytes,
    api_key: ApiKey | None,
    idempotency_key: str | None,
    correlation_id: str = "",
) -> IngestResult:
    """Validate and store one ingestion request; all or nothing, idempotent by key."""
    parsed = parse_batch(
        body,
        max_transactions=settings.INGEST_MAX_TRANSACTIONS,
        max_string=settings.INGEST_MAX_STRING_LENGTH,
        header_key=idempotency_key,
    )
    request_hash = hashlib.sha256(body).hexdigest()
    key = parsed.request_id
    if key is not None:
        replay = _replay(organization, key, request_hash)
        if replay is not None:
            return replay

    accounts = _resolve_accounts(organization, parsed)
    batch_id = uuid.uuid4()
    for attempt in itertools.count():
        try:
            counts, body_out = _store(
                organization=organization,
                parsed=parsed,
                accounts=accounts,
                batch_id=batch_id,
                api_key=api_key,
                request_hash=request_hash,
                correlation_id=correlation_id,
            )
        except IntegrityError:
            if key is None:
                raise
            replay = _replay(organization, key, request_hash)
            if replay is None:
                raise
            return replay
        except OperationalError as exc:
            reason = transient_db_error(exc)
            # Inside a caller's transaction the work cannot be redone from here.
            if reason is None or connection.in_atomic_block:
                raise
            # A lock timeout has waited its whole budget already: answer now.
            if reason == "lock-timeout" or attempt >= settings.INGEST_MAX_RETRIES:
                logger.warning("ingest_gave_up", reason=reason, attempts=attempt + 1)
                raise ServiceUnavailable(
                    "The batch could not be stored because of concurrent writes to the same "
                    "rows; nothing was stored. Send it again (with the same idempotency key).",
                    retry_after=1,
                ) from exc
            INGEST_RETRIES.labels(reason).inc()
            logger.info("ingest_retry", reason=reason, attempt=attempt + 1)
            # Jittered and growing, so the transactions that collided do not collide again.
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
        else:
            break
    for outcome in ("created", "updated", "unchanged"):
        TRANSACTIONS_INGESTED.labels(outcome).inc(getattr(counts, outcome))
    logger.info(
        "batch_ingested",
        batch_id=str(batch_id),
        total=len(parsed.transactions),
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )
    return IngestResult(batch_id, body_out, replayed=False)


def _store(
    *,
    organization: Organization,
    parsed: BatchIn,
    accounts: list[AccountIn],
    batch_id: uuid.UUID,
    api_key: ApiKey | None,
    request_hash: str,
    correlation_id: str,
) -> tuple[UpsertCounts, dict[str, Any]]:
    """Write the batch, its accounts and its transactions in one transaction.

    Locks are taken in one global order (the batch row, accounts by ``account_id``,
    transactions by key), so concurrent batches wait for each other instead of deadlocking;
    a deadlock that still happens (with an enrichment write-back) is retried by the caller.
    """
    now = timezone.now()
    with transaction.atomic():
        # The batch row goes first: its unique (organization, request_id) makes a
        # concurrent request with the same key wait here, then fail, then replay.
        batch = Batch.objects.create(
            id=batch_id,
            organization=organization,
            api_key=api_key,
            request_id=parsed.request_id,
            request_hash=request_hash,
            correlation_id=correlation_id,
            total_transactions=len(parsed.transactions),
        )
        _upsert_accounts(organization, accounts)
        account_pks = dict(
            Account.objects.filter(
                organization=organization,
                account_id__in={t.account_id for t in parsed.transactions},
            ).values_list("account_id", "id")
        )
        counts = transactions_upsert(
            organization_id=organization.id,
            batch_id=batch_id,
            rows=parsed.transactions,
            account_pks=account_pks,
            now=now,
        )
        body_out = _response_body(batch, counts)
        finished = counts.created + counts.updated == 0
        Batch.objects.filter(pk=batch_id).update(
            created_count=counts.created,
            updated_count=counts.updated,
            unchanged_count=counts.unchanged,
            response=body_out,
            # A batch with nothing new has nothing to enrich: it is done already.
            **({"status": Batch.Status.COMPLETED, "finished_at": now} if finished else {}),
        )
        if not finished:
            accounts_touched(account_pks.values())
            transaction.on_commit(lambda: _enqueue(batch_id))
    return counts, body_out


def _response_body(batch: Batch, counts: UpsertCounts) -> dict[str, Any]:
    finished = counts.created + counts.updated == 0
    return {
        "batch_id": str(batch.id),
        "status": Batch.Status.COMPLETED if finished else Batch.Status.PENDING,
        "request_id": batch.request_id,
        "total_transactions": batch.total_transactions,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "links": {"self": batch_location(batch.id)},
    }
