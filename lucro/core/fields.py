"""Serializer fields that parse with the shared strict parsers of ``lucro.core.params``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from lucro.core.params import iso_date


class IsoDateField(serializers.DateField):
    """A date sent exactly as ``YYYY-MM-DD`` within [DATE_MIN, DATE_MAX].

    DRF's ``DateField`` also takes "20250505", "2025-W01-1" and "2025-1-5", and any date up
    to 9999-12-31: a body date means what a query-string date means.
    """

    default_error_messages = {"invalid": "Must be a date in the form YYYY-MM-DD."}

    def to_internal_value(self, value: Any) -> dt.date:
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            return iso_date(value)
        except ValueError as exc:
            detail = str(exc)
            raise serializers.ValidationError(detail[:1].upper() + detail[1:]) from None
