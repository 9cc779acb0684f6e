"""The day vectors as a comparable value (PostgreSQL; nothing elsewhere)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def day_vectors() -> list[tuple[Any, ...]]:
    """Every non-empty ``reports_monthlydays`` row: key, month counts, vector, both wires
    (checked against the vector, so a wrong generated column fails too)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, month, category_key, spend_count, income_count, failed_count, "
            "days, amounts_wire = reports_days_amounts(days), "
            "counts_wire = reports_days_counts(days) FROM reports_monthlydays "
            "WHERE spend_count <> 0 OR income_count <> 0"
        )
        rows = cursor.fetchall()
    assert all(row[7] and row[8] for row in rows if row[6] is not None)
    return sorted((("v", *row[:7]) for row in rows), key=str)
