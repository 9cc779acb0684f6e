"""Keyset (cursor) pagination: ``{"results": [...], "next": url | null}``.

The cursor is the last row's (created_at, id), opaque to callers; a keyset stays fast and
stable while rows are added, where an offset would skip or repeat them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.request import Request

from lucro.core.errors import ValidationFailed
from lucro.core.params import ascii_int, cursor_decode, cursor_encode, iso_datetime

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(DEFAULT_LIMIT))
    limit = ascii_int(raw)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit must be an integer from 1 to {MAX_LIMIT}.",
            errors=[{"pointer": "/limit", "detail": f"An integer from 1 to {MAX_LIMIT}."}],
        )
    return limit


def _decode(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    parts = cursor_decode(cursor, 2)
    try:
        if parts is None:
            raise ValueError(cursor)
        return iso_datetime(parts[0]), uuid.UUID(parts[1])
    except ValueError as exc:
        raise ValidationFailed(
            "The cursor is not one this API returned.",
            errors=[{"pointer": "/cursor", "detail": "Use the next link of a previous page."}],
        ) from exc


def _encode(created: dt.datetime, pk: uuid.UUID) -> str:
    return cursor_encode([created.isoformat(), str(pk)])


def paginate(request: Request, queryset: QuerySet[Any]) -> tuple[list[Any], str | None]:
    """Return one page of ``queryset`` (ordered by created_at, id) and the next page's URL."""
    limit = _limit(request)
    queryset = queryset.order_by("created_at", "id")
    cursor = request.query_params.get("cursor")
    if cursor:
        created, pk = _decode(cursor)
        queryset = queryset.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=pk))
    page = list(queryset[: limit + 1])
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    params = request.query_params.copy()
    params["cursor"] = _encode(page[-1].created_at, page[-1].id)
    params["limit"] = str(limit)
    return page, request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
