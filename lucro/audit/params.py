"""The query string of the audit list: filters and page, parsed at the API edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from lucro.audit.selectors import AUDIT_ORDER
from lucro.core.pagination import PageParams
from lucro.core.params import iso_datetime

ACTION_MAX_LENGTH = 64  # AuditEvent.action


@dataclass(frozen=True)
class AuditFilters:
    """The audit list's filters; None is "not filtered"."""

    action: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


def _timestamp(
    params: Mapping[str, str], name: str, errors: list[dict[str, str]]
) -> dt.datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return iso_datetime(raw)
    except ValueError as exc:
        errors.append({"pointer": f"/{name}", "detail": f"{name} {exc}"})
        return None


def parse_audit_list(params: Mapping[str, str]) -> tuple[AuditFilters, PageParams]:
    """Return the filters and the page of an audit list request, or raise a 400."""
    errors: list[dict[str, str]] = []
    action = params.get("action") or None
    if action is not None and len(action) > ACTION_MAX_LENGTH:
        errors.append(
            {"pointer": "/action", "detail": f"action is at most {ACTION_MAX_LENGTH} characters."}
        )
    filters = AuditFilters(
        action=action,
        since=_timestamp(params, "since", errors),
        until=_timestamp(params, "until", errors),
    )
    # A bad limit joins the filters' errors in one problem; the cursor is checked last.
    return filters, AUDIT_ORDER.page_params(params, errors)
