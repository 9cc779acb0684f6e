from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from lucro.enrichment.services import batch_retry_failed
from lucro.ingestion.models import Account, Batch, CategorySource, IngestionStatus, Transaction
from lucro.ingestion.selectors import batch_status_counts


class CappedCountPaginator(Paginator):
    """Count at most ``CAP`` + 1 rows, so a changelist over millions never counts them all.

    ``SELECT COUNT(*) FROM (SELECT … LIMIT CAP + 1)`` stops early; past the cap the admin
    shows "10001" results and that many pages, and filters narrow the list down.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return int(self.object_list[: self.CAP + 1].count())  # type: ignore[attr-defined]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "account_id",
        "name",
        "organization",
        "type",
        "subtype",
        "mask",
        "currency",
        "created_at",
    )
    list_filter = ("type", "currency")
    list_select_related = ("organization",)
    search_fields = ("=account_id", "name")
    readonly_fields = ("id", "organization", "account_id", "currency", "created_at", "updated_at")
    show_full_result_count = False
    paginator = CappedCountPaginator

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts arrive through the ingestion API


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "organization",
        "kind",
        "status",
        "total_transactions",
        "status_counts",
        "received_at",
        "finished_at",
    )
    list_filter = ("status", "kind")
    list_select_related = ("organization",)
    search_fields = ("=id", "=request_id", "=correlation_id")
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = (
        "id",
        "organization",
        "api_key",
        "kind",
        "request_id",
        "correlation_id",
        "status",
        "status_counts",
        "total_transactions",
        "created_count",
        "updated_count",
        "unchanged_count",
        "scope",
        "received_at",
        "started_at",
        "finished_at",
    )
    exclude = ("request_hash", "response", "selection_cursor")
    actions = ("retry_failed",)

    @admin.display(description="pending / processing / completed / failed")
    def status_counts(self, obj: Batch) -> str:
        counts = batch_status_counts(batch=obj)
        return " / ".join(str(counts[s]) for s in IngestionStatus.values)

    @admin.action(description="Retry failed transactions of selected batches")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
        total = 0
        batches = list(queryset)
        for batch in batches:
            # The API's service: dispatch record, cache invalidation and queueing included.
            total += batch_retry_failed(batch=batch)
        self.message_user(
            request,
            f"Re-queued {total} failed transaction(s) of {len(batches)} batch(es).",
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    """Fast on millions of rows: no full COUNT(*), one query per page with its joins."""

    list_display = (
        "transaction_id",
        "account_external_id",
        "date",
        "amount",
        "currency",
        "description",
        "merchant_name",
        "category",
        "category_source",
        "ingestion_status",
    )
    list_filter = ("ingestion_status", "category_source", "category", "date", "pending")
    list_select_related = ("account", "category")
    search_fields = ("=transaction_id", "=account__account_id", "merchant_name", "description")
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100
    raw_id_fields = ("account", "batch")
    autocomplete_fields = ("category",)
    fields = (
        "id",
        "organization",
        "account",
        "batch",
        "transaction_id",
        "amount",
        "currency",
        "date",
        "occurred_at",
        "authorized_date",
        "description",
        "merchant_name",
        "payment_channel",
        "pending",
        "category",
        "category_source",
        "category_rule_id",
        "category_model_version",
        "category_confidence",
        "ingestion_status",
        "failure_reason",
        "attempts",
        "claimed_at",
        "completed_at",
        "created_at",
        "updated_at",
    )
    # Everything the integration sent, and the pipeline's own bookkeeping, is read-only;
    # an operator may only correct the category (which makes it a manual one).
    readonly_fields = tuple(f for f in fields if f != "category")

    @admin.display(description="account", ordering="account__account_id")
    def account_external_id(self, obj: Transaction) -> str:
        return obj.account.account_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Transaction, form: Any, change: bool) -> None:
        from django.utils import timezone

        from lucro.reports.cache import accounts_touched

        if "category" in form.changed_data:
            obj.category_source = CategorySource.MANUAL if obj.category_id else CategorySource.NONE
            obj.category_confidence = 1.0 if obj.category_id else None
            obj.category_rule_id = None
            obj.category_model_version = None
            obj.updated_at = timezone.now()
            with transaction.atomic():
                super().save_model(request, obj, form, change)
                accounts_touched([obj.account_id])
