"""The exchange-rate API's bodies as the OpenAPI schema states them.

The upload is parsed and checked by ``contract.upload_parse`` (plain Python: 10 000 rows
in milliseconds, every problem with its pointer); these serializers document it from the
same bounds, and shape the answers.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lucro.core.currencies import MINOR_UNITS
from lucro.core.openapi import DATE_PATTERN
from lucro.fx.contract import (
    RATE_DECIMAL_PLACES,
    RATE_INTEGER_DIGITS,
    RATE_PATTERN,
    UPLOAD_MAX_RATES,
)

CURRENCY_CODES = sorted(MINOR_UNITS)
CURRENCY_SCHEMA = {
    "type": "string",
    "enum": CURRENCY_CODES,
    "description": "An ISO 4217 currency code in circulation (upper case).",
}
RATE_SCHEMA = {
    "oneOf": [
        {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 10**RATE_INTEGER_DIGITS,
            "exclusiveMaximum": True,
        },
        {"type": "string", "pattern": RATE_PATTERN},
    ],
    "description": f"Units of quote per 1 unit of base: a positive decimal (a JSON number "
    f"or a decimal string), at most {RATE_DECIMAL_PLACES} decimal places, below "
    f"10^{RATE_INTEGER_DIGITS}.",
}


@extend_schema_field(CURRENCY_SCHEMA)
class CurrencyField(serializers.CharField):
    pass


@extend_schema_field(RATE_SCHEMA)
class RateField(serializers.Field):
    pass


@extend_schema_field(
    {"type": "string", "format": "date", "pattern": DATE_PATTERN, "description": "YYYY-MM-DD"}
)
class DayField(serializers.DateField):
    pass


class RateInSerializer(serializers.Serializer):
    date = DayField(help_text="The day the rate applies to, from 1900-01-01 to tomorrow.")
    base = CurrencyField()
    quote = CurrencyField(help_text="Differs from base.")
    rate = RateField()


class RatesUploadInSerializer(serializers.Serializer):
    rates = serializers.ListField(
        child=RateInSerializer(),
        min_length=1,
        max_length=UPLOAD_MAX_RATES,
        help_text="At most one rate per (date, base, quote).",
    )


class RatesUploadOutSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Rates stored that were not there.")
    updated = serializers.IntegerField(help_text="Stored rates whose value changed.")
    unchanged = serializers.IntegerField(help_text="Rates already stored with this value.")


class RateOutSerializer(serializers.Serializer):
    base = serializers.CharField()
    quote = serializers.CharField()
    date = serializers.DateField(help_text="The day asked for.")
    rate = serializers.CharField(
        help_text="Units of quote per 1 unit of base, a plain decimal string (no exponent)."
    )
    rate_date = serializers.DateField(
        help_text="The date of the row used (a cross rate's: its older leg's)."
    )
    # A serializer is a Field, whose ``source`` attribute this declaration shadows only in
    # the class body: DRF's metaclass moves declared fields out of it.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["ecb", "upload", "fetch", "derived", "identity"],
        help_text="ecb, upload or fetch: the row used, directly or inverted; derived: a "
        "cross rate through other currencies; identity: base and quote are the same.",
    )
