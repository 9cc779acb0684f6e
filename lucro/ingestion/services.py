"""Ingestion: validate a batch, then store it atomically and idempotently.

Validation and the retry of a transient failure live here; the write itself is the owner's
``transitions.batch_store``, which announces the batch (``events.batch_ready``) on commit.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection

from lucro.core.errors import Conflict, ServiceUnavailable, transient_db_error
from lucro.ingestion import transitions
from lucro.ingestion.metrics import INGEST_RETRIES, TRANSACTIONS_INGESTED
from lucro.ingestion.models import Account, Batch
from lucro.ingestion.payload import AccountIn, BatchIn, parse_batch, pointer_errors
from lucro.tenancy.models import ApiKey, Organization

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IngestResult:
    batch_id: uuid.UUID
    body: dict[str, Any]
    replayed: bool


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
    # A batch stored before the ``deleted`` count existed replays with it too (always there).
    return IngestResult(batch.id, {"deleted": 0, **batch.response}, replayed=True)


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
        if existing is not None:
            _account_number_settle(existing, account)
        # A deleted account is left as it was deleted (its transactions are counted
        # ``deleted``, not stored: transitions.batch_store).
        if existing is None or (
            existing.deleted_at is None and _account_changes(existing, account)
        ):
            writes.append(account)
    # Accounts stored without a currency learn it now.
    for account_id, existing in stored.items():
        if (
            not existing.currency
            and existing.deleted_at is None
            and account_id in currency
            and account_id not in declared
        ):
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


def _account_number_settle(existing: Account, account: AccountIn) -> None:
    """Leave on ``account`` only a number to write: a new or different one.

    A number sent again is compared with the stored one by decrypting it (one Fernet
    decryption per such account; accounts are few per batch), not through a hash of the
    number: 4 to 34 characters, often digits only, are quickly brute-forced from a plain
    hash. Without a number, the stored one is kept (``None`` writes nothing), and so is
    its mask when none is sent either.
    """
    if account.account_number is None:
        if account.mask is None and existing.account_number_encrypted is not None:
            account.mask = existing.mask
    elif account.account_number == existing.account_number():
        account.account_number = None


def _account_changes(existing: Account, account: AccountIn) -> bool:
    """Return whether writing ``account`` would change the stored row.

    Call after ``_account_number_settle``: a number still on ``account`` is a change.
    """
    return (
        (existing.name, existing.type, existing.subtype, existing.mask)
        != (account.name, account.type, account.subtype, account.mask)
        or (not existing.currency and bool(account.currency))
        or account.account_number is not None
    )


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
            counts, body_out = transitions.batch_store(
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
    for outcome in ("created", "updated", "unchanged", "deleted"):
        TRANSACTIONS_INGESTED.labels(outcome).inc(getattr(counts, outcome))
    logger.info(
        "batch_ingested",
        batch_id=str(batch_id),
        total=len(parsed.transactions),
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        deleted=counts.deleted,
    )
    return IngestResult(batch_id, body_out, replayed=False)
