from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from lucro.core import crypto


def batch_location(batch_id: uuid.UUID | str) -> str:
    """Return the status URL of a batch."""
    return f"/api/v1/batches/{batch_id}/"


class IngestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class CategorySource(models.TextChoices):
    NONE = "none", "None"
    RULE = "rule", "Rule"
    MODEL = "model", "Model"
    MANUAL = "manual", "Manual"


class AccountQuerySet(models.QuerySet["Account"]):
    def live(self) -> AccountQuerySet:
        """Return the accounts that are not deleted."""
        return self.filter(deleted_at__isnull=True)


class TransactionQuerySet(models.QuerySet["Transaction"]):
    def live(self) -> TransactionQuerySet:
        """Return the transactions a person can see: neither they nor their account deleted.

        An account's delete marks the account only (one row, however many transactions it
        holds); its transactions disappear through this filter and come back with it, and
        only those not deleted on their own come back.
        """
        return self.filter(deleted_at__isnull=True, account__deleted_at__isnull=True)


class Account(models.Model):
    """An integration's account; ``account_id`` is its external id, unique per organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="accounts"
    )
    account_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=64)
    subtype = models.CharField(max_length=64, null=True, blank=True)
    mask = models.CharField(max_length=32, null=True, blank=True)
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="Set once: from iso_currency_code or the first transaction; never changes.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Soft-deleted (with its transactions) at; purged for good after "
        "SOFT_DELETE_RETENTION_DAYS.",
    )
    # SPEC §10: the number is stored only as a Fernet token (lucro.core.crypto), with the id
    # of the key that made it, so `manage.py rotate_field_keys` selects what is left to
    # re-encrypt. Not editable: the admin neither shows nor changes either column.
    account_number_encrypted = models.TextField(
        null=True, blank=True, editable=False, help_text="The account number, encrypted."
    )
    account_number_key = models.CharField(
        max_length=16,
        null=True,
        blank=True,
        editable=False,
        help_text="The id of the FIELD_ENCRYPTION_KEYS key that encrypted the account number.",
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account_id"], name="account_unique_external_id_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.name})"

    def account_number(self) -> str | None:
        """Return the decrypted account number, or None if it has none.

        Raise ``FieldKeyError`` when no key of FIELD_ENCRYPTION_KEYS opens it. Only for code
        that needs the number itself: every answer, log line and admin page shows ``mask``.
        """
        if self.account_number_encrypted is None:
            return None
        return crypto.decrypt(self.account_number_encrypted, stored_key_id=self.account_number_key)


class Batch(models.Model):
    """One ingestion request, or one re-categorisation job, and the state of its enrichment."""

    class Kind(models.TextChoices):
        INGEST = "ingest", "Ingest"
        RERUN = "rerun", "Re-categorisation"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="batches"
    )
    api_key = models.ForeignKey(
        "tenancy.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batches",
        help_text="The key that sent the batch.",
    )
    kind = models.CharField(
        max_length=16,
        choices=Kind.choices,
        default=Kind.INGEST,
        help_text="ingest, or rerun for a re-categorisation job.",
    )
    request_id = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        help_text="The idempotency key, if the caller sent one.",
    )
    request_hash = models.CharField(max_length=64, blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # Null only while a re-run is still selecting its rows (in chunks, in the workers): the
    # batch cannot finish before its row set is complete.
    total_transactions = models.PositiveIntegerField(
        default=0, null=True, help_text="Empty while a re-run is still selecting its rows."
    )
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(
        default=0, help_text="Re-sent transactions that a person had deleted (left deleted)."
    )
    response = models.JSONField(
        null=True, blank=True, help_text="The 202 body, replayed for a repeated request."
    )
    scope = models.JSONField(
        null=True,
        blank=True,
        help_text="A re-run's filters: account_ids, start_date, end_date, only_uncategorised.",
    )
    selection_cursor = models.JSONField(
        null=True,
        blank=True,
        help_text="How far a re-run's selection has got: the last (account, date, id) it "
        "moved and how many rows so far.",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "batches"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "request_id"],
                condition=Q(request_id__isnull=False),
                name="batch_unique_request_id_per_org",
            ),
            # Only a re-run may leave its size open (while it selects its rows).
            models.CheckConstraint(
                condition=Q(kind="rerun") | Q(total_transactions__isnull=False),
                name="batch_total_known_unless_rerun",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-received_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return str(self.id)

    def get_absolute_url(self) -> str:
        return batch_location(self.id)


class Transaction(models.Model):
    """One transaction of an account, and how it was categorised."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No database-level foreign keys on the three parents: each deferred FK check costs
    # ≈ 30 ms per 10 000-row batch at commit (measured), which alone would break SPEC §8's
    # ingest target. Integrity is kept by the one writer (ingestion.services resolves every
    # account and creates the batch in the same transaction) and deletes go through the
    # ORM, whose collector still cascades. Nor does either need an index of its own:
    # account leads the two composite indexes below, organization is reached via account.
    organization = models.ForeignKey(
        "tenancy.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="transactions", db_constraint=False
    )
    transaction_id = models.CharField(max_length=255)
    amount = models.DecimalField(
        max_digits=19, decimal_places=4, help_text="Negative is money out."
    )
    currency = models.CharField(max_length=3)
    date = models.DateField()
    occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="The original timestamp, when one was sent."
    )
    authorized_date = models.DateField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    merchant_name = models.CharField(max_length=1024, null=True, blank=True)
    payment_channel = models.CharField(max_length=64, null=True, blank=True)
    pending = models.BooleanField(default=False)

    # Nor a database-level FK here: setting 2 000 categories made the commit run 2 000
    # deferred key checks, each taking a KEY SHARE lock on a category row (MultiXacts once
    # workers overlap): bench/enrich.py measured 23 000–29 000 rows/s with it and
    # ≈ 36 000 without, on the same machine.
    # Categories come from rules (whose FK is enforced) or the PATCH API (validated), and
    # PROTECT still guards deletes through the ORM.
    category = models.ForeignKey(
        "taxonomy.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    category_source = models.CharField(
        max_length=8, choices=CategorySource.choices, default=CategorySource.NONE
    )
    category_rule_id = models.UUIDField(null=True, blank=True)
    category_model_version = models.CharField(max_length=64, null=True, blank=True)
    category_confidence = models.FloatField(null=True, blank=True)

    ingestion_status = models.CharField(
        max_length=12, choices=IngestionStatus.choices, default=IngestionStatus.PENDING
    )
    failure_reason = models.TextField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Soft-deleted at (on its own; an account's delete marks the account); "
        "purged for good after SOFT_DELETE_RETENTION_DAYS. It still holds its "
        "transaction_id: a re-send is counted as deleted, not stored again.",
    )

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "transaction_id"],
                name="transaction_unique_external_id_per_account",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="transaction_amount_not_zero"),
        ]
        indexes = [
            # In-flight rows only, so the index stays small: a worker's claim (a batch's
            # pending rows), the batch's "anything left?" check, and the sweeper's scan.
            # Keyed by batch: keyed by status, a claim had to intersect it with the batch
            # index (a bitmap AND over every in-flight row of every batch).
            models.Index(
                fields=["batch", "ingestion_status", "claimed_at"],
                name="txn_inflight_batch",
                condition=Q(ingestion_status__in=["pending", "processing"]),
            ),
            # An account's in-flight rows, which every report adds to its rollups. Without
            # it the planner ANDed the batch index above with (account, date): ≈ 500 000
            # index entries for a heavy account's year, 35 ms vacuumed and 400 ms with the
            # dead entries a busy table carries, against 0.08 ms through this index.
            models.Index(
                fields=["account", "date"],
                name="txn_inflight_account",
                condition=Q(ingestion_status__in=["pending", "processing"]),
            ),
            # A batch's failed rows (its finish check, the retry endpoint). Failed rows are
            # few, so the index costs writers almost nothing; without it the finish check
            # walked every row of the batch (≈ 12 ms for 50 000 rows).
            models.Index(
                fields=["batch"],
                name="txn_failed_batch",
                condition=Q(ingestion_status="failed"),
            ),
            # Deleted rows only (few): a re-sent batch's "deleted" count, the purge, the
            # list of deleted transactions. Live rows pay nothing for it.
            models.Index(
                fields=["account", "transaction_id"],
                name="txn_deleted",
                condition=Q(deleted_at__isnull=False),
            ),
            # Reports and lists: one account's rows by date.
            models.Index(fields=["account", "date"], name="txn_account_date"),
        ]

    def __str__(self) -> str:
        return self.transaction_id
