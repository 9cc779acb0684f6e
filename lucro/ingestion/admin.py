from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from lucro.audit.services import audit_record
from lucro.core.currencies import money_display
from lucro.core.errors import ApplicationError
from lucro.ingestion import transitions
from lucro.ingestion.models import Account, Batch, IngestionStatus, Transaction
from lucro.ingestion.selectors import batch_status_counts
from lucro.ingestion.store import CONTENT_FIELDS


class CappedCountPaginator(Paginator):
    """Count at most ``CAP`` + 1 rows, so a changelist over millions never counts them all.

    ``SELECT COUNT(*) FROM (SELECT … LIMIT CAP + 1)`` stops early; past the cap the admin
    shows "10001" results and that many pages, and filters narrow the list down.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return int(self.object_list[: self.CAP + 1].count())  # type: ignore[attr-defined]


class DeletedFilter(admin.SimpleListFilter):
    """Live rows by default (as everywhere else), the deleted ones on request, or all."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("live", "No (live)"), ("deleted", "Yes (restorable)"), ("all", "All")]

    def value(self) -> str:
        return super().value() or "live"

    def choices(self, changelist: Any) -> Any:
        # The default is "live", not "all": Django's own "All" entry would mean "live" here.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "all":
            return queryset
        live = queryset.model.objects.live()
        if value == "live":
            return queryset & live
        return queryset.exclude(pk__in=live.values("pk"))


def _removals(
    admin_site: admin.ModelAdmin,
    request: HttpRequest,
    objects: list[tuple[Any, Any]],
    transition: Any,
    action: str,
) -> None:
    """Run a delete or restore transition per (organization, key), audited, and report."""
    done = 0
    for organization, key in objects:
        try:
            removal = transition(organization, key)
        except ApplicationError as exc:
            admin_site.message_user(request, f"{key}: {exc.detail}", messages.ERROR)
            continue
        if removal.changed:
            done += 1
            deleted = action.endswith(".deleted")
            audit_record(
                organization=organization,
                actor_user_id=request.user.pk,
                action=action,
                object_type=action.split(".")[0],
                object_id=removal.pk,
                changes={"deleted": {"from": not deleted, "to": deleted}},
            )
    admin_site.message_user(request, f"{action}: {done} row(s).", messages.SUCCESS)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "account_id",
        "name",
        "organization",
        "type",
        "subtype",
        "mask",
        "has_account_number",
        "currency",
        "created_at",
        "deleted_at",
    )
    list_filter = (DeletedFilter, "type", "currency")
    list_select_related = ("organization",)
    search_fields = ("=account_id", "name")
    # The account number's columns are not editable, so not in the form; only whether there
    # is one is shown (SPEC §10: no page shows more than the mask).
    readonly_fields = (
        "id",
        "organization",
        "account_id",
        "has_account_number",
        "currency",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    show_full_result_count = False
    paginator = CappedCountPaginator

    actions = ("rerun_categorisation", "soft_delete", "restore")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts arrive through the ingestion API

    @admin.display(description="account number", boolean=True)
    def has_account_number(self, obj: Account) -> bool:
        return obj.account_number_encrypted is not None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting is the soft delete below (restorable, audited, reports kept exact); a
        # hard delete happens only in the purge, after the retention.
        return False

    @admin.action(description="Delete selected accounts with their transactions (restorable)")
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        _removals(
            self,
            request,
            [(a.organization, a.account_id) for a in queryset.select_related("organization")],
            lambda org, key: transitions.account_delete(organization=org, account_id=key),
            "account.deleted",
        )

    @admin.action(description="Restore selected accounts with their transactions")
    def restore(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        _removals(
            self,
            request,
            [(a.organization, a.account_id) for a in queryset.select_related("organization")],
            lambda org, key: transitions.account_restore(organization=org, account_id=key),
            "account.restored",
        )

    @admin.action(description="Re-categorise the transactions of selected accounts")
    def rerun_categorisation(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        # The API's transition (POST /api/v1/categorisation/rerun/), one job per organization:
        # the same overlap check, the same queueing through its events.
        by_organization: dict[Any, list[str]] = {}
        for account in queryset.select_related("organization"):
            by_organization.setdefault(account.organization, []).append(account.account_id)
        for organization, account_ids in by_organization.items():
            try:
                job = transitions.rerun_open(organization=organization, account_ids=account_ids)
            except ApplicationError as exc:
                self.message_user(request, f"{organization}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{organization}: re-run {job.pk} queued for {len(account_ids)} account(s).",
                    messages.SUCCESS,
                )


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
        "deleted_count",
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
            # The API's transition: its events record the dispatch, queue the batch and
            # invalidate the cached reports, exactly as for POST …/retry/.
            total += transitions.batch_retry_failed(batch=batch)
        self.message_user(
            request,
            f"Re-queued {total} failed transaction(s) of {len(batches)} batch(es).",
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# What the integration sent, the amount as people read it (minor units and the code).
_CONTENT_SHOWN: tuple[str, ...] = tuple("money" if f == "amount" else f for f in CONTENT_FIELDS)


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    """Fast on millions of rows: no full COUNT(*), one query per page with its joins."""

    list_display = (
        "transaction_id",
        "account_external_id",
        "date",
        "money",
        "description",
        "merchant_name",
        "category",
        "category_source",
        "ingestion_status",
    )
    list_filter = (
        DeletedFilter,
        "ingestion_status",
        "category_source",
        "category",
        "date",
        "pending",
    )
    list_select_related = ("account", "category")
    actions = ("soft_delete", "restore")
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
        "currency",
        *_CONTENT_SHOWN,  # what the integration sent
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
        "deleted_at",
    )
    # Everything the integration sent, and the pipeline's own bookkeeping, is read-only;
    # an operator may only correct the category (which makes it a manual one).
    readonly_fields = tuple(str(f) for f in fields if f != "category")

    @admin.display(description="account", ordering="account__account_id")
    def account_external_id(self, obj: Transaction) -> str:
        return obj.account.account_id

    @admin.display(description="amount", ordering="amount")
    def money(self, obj: Transaction) -> str:
        return money_display(obj.amount, obj.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the soft delete below; see AccountAdmin

    @admin.action(description="Delete selected transactions (restorable)")
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> None:
        _removals(
            self,
            request,
            [(t.organization, t.pk) for t in queryset.select_related("organization")],
            lambda org, key: transitions.transaction_delete(organization=org, transaction_pk=key),
            "transaction.deleted",
        )

    @admin.action(description="Restore selected transactions")
    def restore(self, request: HttpRequest, queryset: QuerySet[Transaction]) -> None:
        _removals(
            self,
            request,
            [(t.organization, t.pk) for t in queryset.select_related("organization")],
            lambda org, key: transitions.transaction_restore(organization=org, transaction_pk=key),
            "transaction.restored",
        )

    def save_model(self, request: HttpRequest, obj: Transaction, form: Any, change: bool) -> None:
        # Only the category is editable: the API's transition records it as a manual one
        # (kept by every later run) and invalidates the account's cached reports.
        if "category" in form.changed_data:
            transitions.transaction_category_set(
                organization=obj.organization, transaction_pk=obj.pk, category=obj.category
            )
