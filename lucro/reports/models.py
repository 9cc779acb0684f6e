"""Rollups of terminal transactions, maintained by database triggers.

A rollup row holds, for one account, one period and one category, how many transactions
went out and came in and their sums. Only rows in a terminal status (``completed`` or
``failed``) are rolled up: ingestion inserts every row as ``pending``, so the insert path
needs no trigger and stays as fast as before (SPEC §8). Rows still in flight are few and
are read from the transactions table at query time (see ``selectors``).

The triggers live in the migrations (``0002_rollup_triggers``): nothing in Python writes
these tables.
"""

from __future__ import annotations

import uuid

from django.db import models

# Uncategorised rows roll up under this key: a NULL in a unique key would never conflict,
# so ``INSERT … ON CONFLICT`` could not fold them into one row.
UNCATEGORISED = uuid.UUID(int=0)


class _Rollup(models.Model):
    account_id = models.UUIDField()
    category_key = models.UUIDField(help_text="The category's id; all zeros when none.")
    spend_count = models.BigIntegerField(default=0)
    spend_sum = models.DecimalField(
        max_digits=28, decimal_places=4, default=0, help_text="Money out, positive."
    )
    income_count = models.BigIntegerField(default=0)
    income_sum = models.DecimalField(max_digits=28, decimal_places=4, default=0)
    failed_count = models.BigIntegerField(
        default=0, help_text="Of the counted rows, how many failed."
    )

    class Meta:
        abstract = True


class DailyRollup(_Rollup):
    """Terminal transactions of one account on one day in one category."""

    pk = models.CompositePrimaryKey("account_id", "date", "category_key")
    date = models.DateField()

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.category_key}"


class MonthlyRollup(_Rollup):
    """Terminal transactions of one account in one calendar month in one category."""

    pk = models.CompositePrimaryKey("account_id", "month", "category_key")
    month = models.DateField(help_text="The first day of the month.")

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} {self.category_key}"


class MonthlyDays(models.Model):
    """PostgreSQL only: one account's month in one category, day by day, as int8 vectors.

    The table and its counts, ``days`` and wire columns are created and kept by the rollup
    triggers (``rollups``), and read by ``conversion.PostgresConversion`` as bytes. Django
    knows only its key, and only in its state (migration 0004), so that a test database
    flush empties it. On SQLite the table has the key alone and stays empty: converted
    reports read the daily rollup there.
    """

    pk = models.CompositePrimaryKey("account_id", "month", "category_key")
    account_id = models.UUIDField()
    month = models.DateField()
    category_key = models.UUIDField()

    class Meta:
        db_table = "reports_monthlydays"

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} {self.category_key}"
