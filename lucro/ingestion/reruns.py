"""A re-categorisation job's scope and selection cursor (stored as JSON on its ``Batch``).

``POST /api/v1/categorisation/rerun/`` only validates, checks for an overlapping job and
opens one (a ``Batch`` of kind ``rerun`` whose ``total_transactions`` stays null while it
selects): one short transaction, whatever the scope's size. The workers then move the
scope's rows into the job chunk by chunk (``transitions.rerun_select_chunk``), each chunk
its own transaction, and the ordinary chunk tasks enrich them like any batch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RerunScope:
    """What a re-run covers: open bounds are ``None``; the account ids are external ids."""

    account_ids: frozenset[str] | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    only_uncategorised: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RerunScope:
        accounts = data.get("account_ids")
        start, end = data.get("start_date"), data.get("end_date")
        return cls(
            frozenset(accounts) if accounts is not None else None,
            dt.date.fromisoformat(start) if start else None,
            dt.date.fromisoformat(end) if end else None,
            bool(data.get("only_uncategorised")),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "account_ids": sorted(self.account_ids) if self.account_ids is not None else None,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "only_uncategorised": self.only_uncategorised,
        }

    def overlaps(self, other: RerunScope) -> bool:
        """Return whether a row could fall in both scopes.

        ``only_uncategorised`` is deliberately left out: an uncategorised row of one scope is
        also a row of the other, so two jobs would move the same rows between them.
        """
        mine, theirs = self.account_ids, other.account_ids
        if mine is not None and theirs is not None and not mine & theirs:
            return False
        low = max(self.start_date or dt.date.min, other.start_date or dt.date.min)
        high = min(self.end_date or dt.date.max, other.end_date or dt.date.max)
        return low <= high


@dataclass(frozen=True)
class RerunCursor:
    """How far a job's selection has got (``Batch.selection_cursor``).

    Accounts are walked in primary-key order and each account's rows in ``(date, id)``
    order, the order of the ``txn_account_date`` index: every account before ``account`` is
    done, and so are ``account``'s rows up to ``after`` (none of them when ``None``).
    """

    account: str | None = None
    after: tuple[dt.date, uuid.UUID] | None = None
    selected: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RerunCursor:
        if not data:
            return cls()
        after = data.get("after")
        return cls(
            data.get("account"),
            (dt.date.fromisoformat(after[0]), uuid.UUID(after[1])) if after else None,
            int(data.get("selected", 0)),
        )

    def as_json(self) -> dict[str, Any]:
        after = [self.after[0].isoformat(), str(self.after[1])] if self.after else None
        return {"account": self.account, "after": after, "selected": self.selected}
