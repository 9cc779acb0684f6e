"""Soft delete and restore (SPEC §10): every read path stays exact, restores are exact,
re-sends stay deleted, the purge removes for good, and only owners and admins may do it.

Each read is compared with sums computed independently from the raw rows (the way the
property test checks the summary), and each restore with what the reads said before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings

from lucro.audit.models import AuditEvent
from lucro.ingestion.models import Account, Batch, Transaction
from lucro.ingestion.transitions import deleted_purge
from lucro.reports.models import DailyRollup, MonthlyRollup
from lucro.reports.rollups import rebuild
from lucro.reports.tests.conftest import write_back
from lucro.reports.tests.vectors import day_vectors
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_client, make_member

INGEST = "/api/v1/integrations/transactions/"
ACCOUNTS = "/api/v1/accounts/"
TRANSACTIONS = "/api/v1/transactions/"
SUMMARY = "/api/v1/reports/accounts/{}/summary/"
CATEGORIES = "/api/v1/reports/accounts/{}/categories/"
TIMESERIES = "/api/v1/reports/accounts/{}/timeseries/"
ORG_SUMMARY = "/api/v1/reports/summary/"
RANGES = [
    ("2025-09-01", "2025-12-31"),  # whole months and the edges around them
    ("2025-10-01", "2025-10-31"),  # one calendar month (monthly rollup)
    ("2025-10-07", "2025-11-19"),  # mid-month to mid-month (daily edges)
    ("2025-11-03", "2025-11-03"),  # one day
]
LEVELS = ["primary", "detailed"]


def _payload(account_id: str, currency: str, count: int, *, start: int = 0) -> dict[str, Any]:
    """``count`` transactions over Sept–Dec 2025, money out and in."""
    return {
        "accounts": [
            {
                "account_id": account_id,
                "name": f"Account {account_id}",
                "type": "depository",
                "iso_currency_code": currency,
            }
        ],
        "transactions": [
            {
                "transaction_id": f"{account_id}_t{i}",
                "account_id": account_id,
                "amount": f"{'' if i % 4 == 0 else '-'}{(i * 37) % 900 + 1}.{i % 100:02d}",
                "iso_currency_code": currency,
                "date": (dt.date(2025, 9, 3) + dt.timedelta(days=(i * 7) % 115)).isoformat(),
                "name": f"Shop {i}",
            }
            for i in range(start, start + count)
        ],
    }


@pytest.fixture
def owner(db: None) -> ApiClient:
    return make_member("Org A", "owner")[0]


@pytest.fixture
def world(
    owner: ApiClient, categories: dict[str, Category], commit: Callable[[], Any]
) -> dict[str, list[Transaction]]:
    """Two accounts in two currencies, settled in three categories, a few rows in flight."""
    rows: dict[str, list[Transaction]] = {}
    with commit():
        for account_id, currency in (("acc_usd", "USD"), ("acc_kes", "KES")):
            assert owner.post(INGEST, _payload(account_id, currency, 40)).status_code == 202
            found = list(
                Transaction.objects.filter(account__account_id=account_id).order_by(
                    "transaction_id"
                )
            )
            names = ["coffee", "sibling", "other", None]
            for n, name in enumerate(names):
                chosen = [t.pk for i, t in enumerate(found) if i % 5 == n]
                write_back(chosen, category=categories[name] if name else None)
            # i % 5 == 4 stays pending: the reports read those from the raw table.
            rows[account_id] = found
    return rows


# --- Independent figures from the raw rows ------------------------------------------------


def _visible(account_id: str) -> list[Transaction]:
    """The rows a person can see, picked by hand (not through ``live()``)."""
    return [
        t
        for t in Transaction.objects.filter(account__account_id=account_id).select_related(
            "category__parent", "account"
        )
        if t.deleted_at is None and t.account.deleted_at is None
    ]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _naive(rows: list[Transaction], start: str, end: str, level: str) -> dict[str, Any]:
    span = [t for t in rows if start <= t.date.isoformat() <= end]
    spend = sum((-t.amount for t in span if t.amount < 0), Decimal(0))
    income = sum((t.amount for t in span if t.amount > 0), Decimal(0))
    per: dict[str, list[Any]] = {}
    for t in span:
        if t.category is None:
            continue
        c = t.category if level == "detailed" else (t.category.parent or t.category)
        entry = per.setdefault(c.slug, [Decimal(0), Decimal(0), 0])
        entry[0] += -t.amount if t.amount < 0 else 0
        entry[1] += t.amount if t.amount > 0 else 0
        entry[2] += 1
    return {
        "metrics": {
            "total_transactions": len(span),
            "total_spend": _money(spend),
            "total_income": _money(income),
            "net": _money(income - spend),
        },
        "categories": {slug: (_money(s), _money(i), n) for slug, (s, i, n) in per.items()},
        "pending": sum(1 for t in span if t.ingestion_status == "pending"),
    }


def _check_reports(api: ApiClient, account_id: str) -> None:
    """Every report of one account equals the independent figures of its visible rows."""
    rows = _visible(account_id)
    for start, end in RANGES:
        query = {"start_date": start, "end_date": end}
        for level in LEVELS:
            expected = _naive(rows, start, end, level)
            summary = api.get(SUMMARY.format(account_id), **query, level=level).json()
            assert summary["metrics"] == expected["metrics"], (start, end, level)
            assert summary["processing_status"]["pending"] == expected["pending"]
            for top in summary["top_categories"]:
                spend, _, count = expected["categories"][top["slug"]]
                assert (top["total_spend"], top["transaction_count"]) == (spend, count)
            breakdown = api.get(CATEGORIES.format(account_id), **query, level=level).json()
            assert breakdown["metrics"] == expected["metrics"]
            got = {
                c["slug"]: (c["total_spend"], c["total_income"], c["transaction_count"])
                for c in breakdown["categories"]
                if c["slug"] is not None
            }
            assert got == expected["categories"], (start, end, level)
        series = api.get(TIMESERIES.format(account_id), **query, interval="month").json()
        for period in series["series"]:
            naive = _naive(rows, period["start"], period["end"], "primary")["metrics"]
            assert (period["spend"], period["income"], period["transaction_count"]) == (
                naive["total_spend"],
                naive["total_income"],
                naive["total_transactions"],
            )


def _check_organization(api: ApiClient, live_accounts: dict[str, str]) -> None:
    """The organization summary holds exactly the live accounts, each currency's sums."""
    for start, end in RANGES:
        body = api.get(ORG_SUMMARY, start_date=start, end_date=end).json()
        got = {c["currency"]: c["metrics"] for c in body["currencies"]}
        expected = {}
        for account_id, currency in live_accounts.items():
            metrics = _naive(_visible(account_id), start, end, "primary")["metrics"]
            if metrics["total_transactions"]:
                expected[currency] = metrics
        assert got == expected, (start, end)


def _list_ids(api: ApiClient, path: str, key: str, **query: Any) -> list[str]:
    """Every id of a paginated list, following ``next`` to the end."""
    out: list[str] = []
    page = api.get(path, limit=7, **query).json()
    while True:
        out.extend(item[key] for item in page["results"])
        if page["next"] is None:
            return out
        page = api.client.get(page["next"], headers=api._headers(None)).json()


def _reads(api: ApiClient) -> dict[str, Any]:
    """Every read a person can make of the organization (for before/after comparisons)."""

    # A delete and a restore touch an account's updated_at; everything else must be equal.
    def account(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k != "updated_at"}

    out: dict[str, Any] = {
        "accounts": [account(a) for a in api.get(ACCOUNTS).json()["results"]],
        "transactions": _list_ids(api, TRANSACTIONS, "id"),
    }
    for account_id in ("acc_usd", "acc_kes"):
        out[account_id] = account(api.get(f"{ACCOUNTS}{account_id}/").json())
        for start, end in RANGES:
            query = {"start_date": start, "end_date": end}
            for path in (SUMMARY, CATEGORIES, TIMESERIES):
                out[(path, account_id, start)] = api.get(path.format(account_id), **query).json()
    for start, end in RANGES:
        out[("org", start)] = api.get(ORG_SUMMARY, start_date=start, end_date=end).json()
    return out


# --- Transactions ----------------------------------------------------------------------------


def test_deleted_transactions_leave_every_read_exactly_and_restore_brings_them_back(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    before = _reads(owner)  # also fills the report cache: a stale entry would show below
    usd = world["acc_usd"]
    # Settled rows of several categories and dates, an income row, and a pending one.
    doomed = [usd[0], usd[1], usd[2], usd[3], usd[4], usd[13], usd[20]]
    assert any(t.amount > 0 for t in doomed)
    assert any(t.ingestion_status == "pending" for t in doomed)
    with commit():
        for t in doomed:
            answer = owner.delete(f"{TRANSACTIONS}{t.pk}/")
            assert answer.status_code == 204, answer.content
            assert answer.content == b""

    for t in doomed:
        assert owner.get(f"{TRANSACTIONS}{t.pk}/").status_code == 404
        # Deleting it again: it is not there to delete.
        assert owner.delete(f"{TRANSACTIONS}{t.pk}/").status_code == 404
    listed = set(_list_ids(owner, TRANSACTIONS, "id"))
    assert listed == {str(t.pk) for a in ("acc_usd", "acc_kes") for t in _visible(a)}
    assert not listed & {str(t.pk) for t in doomed}
    assert set(_list_ids(owner, TRANSACTIONS, "id", deleted="true")) == {str(t.pk) for t in doomed}
    _check_reports(owner, "acc_usd")
    _check_reports(owner, "acc_kes")
    _check_organization(owner, {"acc_usd": "USD", "acc_kes": "KES"})
    # The rollups the triggers kept equal the rollups rebuilt from scratch.
    kept = _rollups()
    rebuild_rollups()
    assert _rollups() == kept

    with commit():
        for t in doomed:
            answer = owner.post(f"{TRANSACTIONS}{t.pk}/restore/", {})
            assert answer.status_code == 200, answer.content
            assert answer.json()["id"] == str(t.pk)
            assert answer.json()["deleted_at"] is None
    # Restoring a live transaction is a no-op answered as it is (and audited once only).
    assert owner.post(f"{TRANSACTIONS}{usd[0].pk}/restore/", {}).status_code == 200
    assert _reads(owner) == before
    assert _list_ids(owner, TRANSACTIONS, "id", deleted="true") == []


def _rollups() -> set[tuple[Any, ...]]:
    daily = DailyRollup.objects.values_list(
        "account_id",
        "date",
        "category_key",
        "spend_count",
        "spend_sum",
        "income_count",
        "income_sum",
        "failed_count",
    )
    monthly = MonthlyRollup.objects.values_list(
        "account_id",
        "month",
        "category_key",
        "spend_count",
        "spend_sum",
        "income_count",
        "income_sum",
        "failed_count",
    )
    # An update that moves a row out leaves a zero row behind (only deletes tidy up): the
    # same figures either way.
    return (
        {("d", *r) for r in daily if any(r[3:])}
        | {("m", *r) for r in monthly if any(r[3:])}
        | {(*r[:-1], tuple(r[-1])) for r in day_vectors()}
    )


def rebuild_rollups() -> None:
    from django.db import connection

    rebuild(connection)


def test_another_tenant_cannot_delete_or_restore(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    intruder = make_member("Org B", "owner")[0]
    txn = world["acc_usd"][5]
    assert intruder.get(f"{ACCOUNTS}acc_usd/").status_code == 404
    assert intruder.get(ACCOUNTS).json()["results"] == []
    assert intruder.delete(f"{TRANSACTIONS}{txn.pk}/").status_code == 404
    assert intruder.delete(f"{ACCOUNTS}acc_usd/").status_code == 404
    with commit():
        assert owner.delete(f"{TRANSACTIONS}{txn.pk}/").status_code == 204
        assert owner.delete(f"{ACCOUNTS}acc_kes/").status_code == 204
    assert intruder.post(f"{TRANSACTIONS}{txn.pk}/restore/", {}).status_code == 404
    assert intruder.post(f"{ACCOUNTS}acc_kes/restore/", {}).status_code == 404
    assert intruder.get(ACCOUNTS, deleted="true").json()["results"] == []
    txn.refresh_from_db()
    assert txn.deleted_at is not None
    assert Account.objects.get(account_id="acc_kes").deleted_at is not None


# --- Accounts ----------------------------------------------------------------------------


def test_account_delete_hides_it_and_its_rows_and_restore_brings_back_only_its_own(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    before_list = owner.get(ACCOUNTS).json()
    assert [a["account_id"] for a in before_list["results"]] == ["acc_kes", "acc_usd"]
    detail = owner.get(f"{ACCOUNTS}acc_usd/").json()
    assert detail["currency"] == "USD" and detail["deleted_at"] is None
    assert set(detail) == {
        "id", "account_id", "name", "type", "subtype", "mask", "currency", "created_at",
        "updated_at", "deleted_at",
    }  # fmt: skip
    usd, kes = world["acc_usd"], world["acc_kes"]
    with commit():
        # One row deleted on its own first: the account's restore must not bring it back.
        assert owner.delete(f"{TRANSACTIONS}{usd[7].pk}/").status_code == 204
        # And a row of the other account: the account delete must not touch it.
        assert owner.delete(f"{TRANSACTIONS}{kes[3].pk}/").status_code == 204
    before = _reads(owner)
    with commit():
        assert owner.delete(f"{ACCOUNTS}acc_usd/").status_code == 204

    assert owner.get(f"{ACCOUNTS}acc_usd/").status_code == 404
    assert owner.delete(f"{ACCOUNTS}acc_usd/").status_code == 404
    assert [a["account_id"] for a in owner.get(ACCOUNTS).json()["results"]] == ["acc_kes"]
    gone = owner.get(ACCOUNTS, deleted="true").json()["results"]
    assert [a["account_id"] for a in gone] == ["acc_usd"] and gone[0]["deleted_at"]
    for path in (SUMMARY, CATEGORIES, TIMESERIES):
        answer = owner.get(path.format("acc_usd"), start_date="2025-09-01", end_date="2025-12-31")
        assert answer.status_code == 404
    assert owner.get(TRANSACTIONS, account_id="acc_usd").json()["results"] == []
    for t in usd:
        assert owner.get(f"{TRANSACTIONS}{t.pk}/").status_code == 404
        # Its rows come back with the account, not one by one.
        assert owner.post(f"{TRANSACTIONS}{t.pk}/restore/", {}).status_code == 404
    assert set(_list_ids(owner, TRANSACTIONS, "id")) == {str(t.pk) for t in _visible("acc_kes")}
    _check_reports(owner, "acc_kes")
    _check_organization(owner, {"acc_kes": "KES"})
    # The rows themselves were not touched: one row's update, whatever the account's size.
    assert Transaction.objects.filter(account__account_id="acc_usd").count() == len(usd)
    assert Transaction.objects.filter(deleted_at__isnull=False).count() == 2

    with commit():
        answer = owner.post(f"{ACCOUNTS}acc_usd/restore/", {})
    assert answer.status_code == 200, answer.content
    assert answer.json()["deleted_at"] is None
    assert _reads(owner) == before
    assert owner.get(f"{TRANSACTIONS}{usd[7].pk}/").status_code == 404
    assert owner.get(f"{TRANSACTIONS}{kes[3].pk}/").status_code == 404
    _check_reports(owner, "acc_usd")


def test_lists_page_through_accounts(owner: ApiClient, commit: Callable[[], Any]) -> None:
    with commit():
        for n in range(12):
            assert owner.post(INGEST, _payload(f"acc_{n:02d}", "USD", 1)).status_code == 202
    ids = _list_ids(owner, ACCOUNTS, "account_id")
    assert ids == [f"acc_{n:02d}" for n in range(12)]
    bad = owner.get(ACCOUNTS, deleted="maybe")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["pointer"] == "/deleted"
    assert owner.get(TRANSACTIONS, deleted="yes").status_code == 400


# --- Re-sending what was deleted -------------------------------------------------------------


def test_resending_a_deleted_transaction_counts_it_and_leaves_it_deleted(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    txn = Transaction.objects.get(transaction_id="acc_usd_t9")
    with commit():
        assert owner.delete(f"{TRANSACTIONS}{txn.pk}/").status_code == 204
    payload = _payload("acc_usd", "USD", 3, start=8)  # rows 8, 9 (deleted), 10
    changed = payload["transactions"][0]
    changed["amount"] = "-1.23"  # row 8 changes: updated
    deleted_sent = payload["transactions"][1]
    deleted_sent["amount"] = "-999.99"  # a change to a deleted row must not land
    with commit():
        answer = owner.post(INGEST, payload)
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert (body["created"], body["updated"], body["unchanged"], body["deleted"]) == (0, 1, 1, 1)
    txn_after = Transaction.objects.get(pk=txn.pk)
    assert txn_after.deleted_at is not None
    assert txn_after.amount == txn.amount
    # Still one row for that id: the deleted row holds its (account, transaction_id).
    assert Transaction.objects.filter(transaction_id=txn.transaction_id).count() == 1
    assert owner.get(f"{TRANSACTIONS}{txn.pk}/").status_code == 404
    batch = owner.get(body["links"]["self"]).json()
    assert batch["deleted"] == 1
    _check_reports(owner, "acc_usd")


def test_the_deleted_count_is_always_there(owner: ApiClient, commit: Callable[[], Any]) -> None:
    with commit():
        body = owner.post(INGEST, _payload("acc_new", "USD", 2)).json()
    assert body["deleted"] == 0
    assert owner.get(body["links"]["self"]).json()["deleted"] == 0


def test_resending_to_a_deleted_account_stores_nothing_and_leaves_it_deleted(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    with commit():
        assert owner.delete(f"{ACCOUNTS}acc_usd/").status_code == 204
    stored = Transaction.objects.count()
    payload = _payload("acc_usd", "USD", 45)  # 40 known rows and 5 new ones
    payload["accounts"][0]["name"] = "Renamed"
    payload["transactions"].extend(_payload("acc_kes", "KES", 2, start=100)["transactions"])
    with commit():
        answer = owner.post(INGEST, payload)
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert (body["created"], body["deleted"], body["unchanged"]) == (2, 45, 0)
    assert Transaction.objects.count() == stored + 2
    account = Account.objects.get(account_id="acc_usd")
    assert account.deleted_at is not None
    assert account.name == "Account acc_usd"  # a deleted account is left as it was
    assert owner.get(f"{ACCOUNTS}acc_usd/").status_code == 404


# --- Retention and purge ---------------------------------------------------------------------


def test_purge_after_retention_removes_for_good_and_keeps_rollups_right(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    usd, kes = world["acc_usd"], world["acc_kes"]
    # An API key: a person's access token would expire in the months travelled below.
    owner = make_client("Org A", scopes=["read", "write"])
    start = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    retention = dt.timedelta(days=settings.SOFT_DELETE_RETENTION_DAYS)
    with time_machine.travel(start, tick=False), commit():
        assert owner.delete(f"{TRANSACTIONS}{kes[0].pk}/").status_code == 204
        assert owner.delete(f"{ACCOUNTS}acc_usd/").status_code == 204
    with time_machine.travel(start + dt.timedelta(days=1), tick=False), commit():
        assert owner.delete(f"{TRANSACTIONS}{kes[1].pk}/").status_code == 204
    before = _reads_of_kes(owner)

    # Within the retention nothing is purged.
    with time_machine.travel(start + retention - dt.timedelta(minutes=1), tick=False):
        result = deleted_purge()
    assert (result.transactions, result.accounts) == (0, 0)

    # Past it (for the first two, not the third): gone for good, in small chunks.
    with time_machine.travel(start + retention + dt.timedelta(hours=1), tick=False):
        assert owner.post(f"{ACCOUNTS}acc_usd/restore/", {}).status_code == 404
        assert owner.post(f"{TRANSACTIONS}{kes[0].pk}/restore/", {}).status_code == 404
        result = deleted_purge(chunk=7)
    assert (result.transactions, result.accounts) == (1 + len(usd), 1)
    assert not Account.objects.filter(account_id="acc_usd").exists()
    assert not Transaction.objects.filter(pk__in=[t.pk for t in usd] + [kes[0].pk]).exists()
    assert Transaction.objects.filter(pk=kes[1].pk).exists()
    usd_pk = usd[0].account_id
    assert not DailyRollup.objects.filter(account_id=usd_pk).exists()
    assert not MonthlyRollup.objects.filter(account_id=usd_pk).exists()
    kept = _rollups()
    rebuild_rollups()
    assert _rollups() == kept
    assert _reads_of_kes(owner) == before
    _check_reports(owner, "acc_kes")
    # Running it again purges nothing more; the later delete is still restorable.
    with time_machine.travel(start + retention + dt.timedelta(hours=2), tick=False):
        assert deleted_purge().transactions == 0
        assert owner.post(f"{TRANSACTIONS}{kes[1].pk}/restore/", {}).status_code == 200


def _reads_of_kes(api: ApiClient) -> list[Any]:
    return [api.get(SUMMARY.format("acc_kes"), start_date=s, end_date=e).json() for s, e in RANGES]


def test_the_purge_runs_as_a_beat_task_on_the_housekeeping_queue() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["purge-deleted"]
    assert entry["task"] == "lucro.ops.purge_deleted"
    assert settings.CELERY_TASK_ROUTES["lucro.ops.purge_deleted"]["queue"] == (
        settings.CELERY_HOUSEKEEPING_QUEUE
    )


# --- Who may, and what is recorded -----------------------------------------------------------


@pytest.fixture
def callers() -> Iterator[dict[str, ApiClient]]:
    yield {
        "admin": make_member("Org A", "admin")[0],
        "analyst": make_member("Org A", "analyst")[0],
        "read key": make_client("Org A", scopes=["read"]),
        "write key": make_client("Org A", scopes=["write"]),
    }


def test_analysts_and_read_keys_may_not_delete_or_restore(
    owner: ApiClient,
    world: dict[str, list[Transaction]],
    callers: dict[str, ApiClient],
    commit: Callable[[], Any],
) -> None:
    txn = world["acc_usd"][2]
    for who in ("analyst", "read key"):
        client = callers[who]
        for answer in (
            client.delete(f"{TRANSACTIONS}{txn.pk}/"),
            client.post(f"{TRANSACTIONS}{txn.pk}/restore/", {}),
            client.delete(f"{ACCOUNTS}acc_usd/"),
            client.post(f"{ACCOUNTS}acc_usd/restore/", {}),
        ):
            assert answer.status_code == 403, who
            assert answer["Content-Type"] == "application/problem+json"
        # They may still read.
        assert client.get(f"{ACCOUNTS}acc_usd/").status_code == 200
    txn.refresh_from_db()
    assert txn.deleted_at is None
    assert Account.objects.get(account_id="acc_usd").deleted_at is None
    assert not AuditEvent.objects.filter(action__endswith="deleted").exists()
    with commit():
        assert callers["admin"].delete(f"{TRANSACTIONS}{txn.pk}/").status_code == 204
        assert callers["write key"].post(f"{TRANSACTIONS}{txn.pk}/restore/", {}).status_code == 200


def test_every_delete_and_restore_is_in_the_audit_log(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    txn = world["acc_usd"][2]
    with commit():
        owner.delete(f"{TRANSACTIONS}{txn.pk}/")
        owner.post(f"{TRANSACTIONS}{txn.pk}/restore/", {})
        owner.post(f"{TRANSACTIONS}{txn.pk}/restore/", {})  # a no-op: not recorded
        owner.delete(f"{ACCOUNTS}acc_kes/")
        owner.post(f"{ACCOUNTS}acc_kes/restore/", {})
    account_pk = str(Account.objects.get(account_id="acc_kes").pk)
    log = owner.get("/api/v1/audit/").json()["results"]
    recorded = [
        (e["action"], e["object"]["id"], e["changes"])
        for e in reversed(log)
        if e["action"].startswith(("transaction.", "account."))
    ]
    assert recorded == [
        ("transaction.deleted", str(txn.pk), {"deleted": {"from": False, "to": True}}),
        ("transaction.restored", str(txn.pk), {"deleted": {"from": True, "to": False}}),
        ("account.deleted", account_pk, {"deleted": {"from": False, "to": True}}),
        ("account.restored", account_pk, {"deleted": {"from": True, "to": False}}),
    ]
    assert all(e["actor"]["type"] == "user" for e in log if e["action"].startswith("account."))


def test_a_manual_category_cannot_be_set_on_a_deleted_transaction(
    owner: ApiClient, world: dict[str, list[Transaction]], commit: Callable[[], Any]
) -> None:
    txn = world["acc_usd"][2]
    with commit():
        owner.delete(f"{TRANSACTIONS}{txn.pk}/")
    answer = owner.patch(f"{TRANSACTIONS}{txn.pk}/", {"category": "food-and-drink-coffee"})
    assert answer.status_code == 404


def test_batch_counts_stay_whole(owner: ApiClient, commit: Callable[[], Any]) -> None:
    with commit():
        body = owner.post(INGEST, _payload("acc_b", "USD", 3)).json()
    batch = Batch.objects.get(pk=body["batch_id"])
    assert (batch.created_count, batch.deleted_count) == (3, 0)
