"""The ingestion request's fields, defined once.

``payload`` builds its msgspec decoder (the fast pass) and its thorough per-field checks
from these tables, ``serializers`` builds the OpenAPI request components from them, and
``tests/test_contract.py`` proves the three agree field by field. A new field, or a new
limit, is one line here.

Lengths are read FROM the model columns the values are stored in (``Account.name`` …),
not written here for the models to read: the column is what finally refuses a longer
value, and changing it takes a migration, so reading it makes that migration the one
place a limit changes; a number typed here could drift from the column unnoticed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.db import models

from lucro.core.currencies import MINOR_UNITS
from lucro.core.openapi import DATE_PATTERN
from lucro.core.params import DATE_MAX, DATE_MIN
from lucro.ingestion.models import Account, Batch, Transaction


class Kind(enum.Enum):
    """What a field holds, and so how each of the three consumers treats it."""

    TEXT = "text"  # a string; a required one must not be blank
    KEY = "key"  # an idempotency key: non-blank, printable
    CURRENCY = "currency"  # an ISO 4217 code of CURRENCIES
    AMOUNT = "amount"  # a JSON number or a plain decimal string
    DATE = "date"  # YYYY-MM-DD or an RFC 3339 datetime
    BOOLEAN = "boolean"
    INTEGER = "integer"
    ACCOUNT_NUMBER = "account_number"  # 4-34 letters/digits, spaces ignored; stored encrypted
    ACCOUNTS = "accounts"  # a list of ACCOUNT_FIELDS objects
    TRANSACTIONS = "transactions"  # a list of TRANSACTION_FIELDS objects


def column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """Return the model field ``name`` of ``model`` (a column a value is stored in)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


@dataclass(frozen=True, slots=True)
class Field:
    """One key of the request: how it is decoded, checked and documented.

    Optional fields are nullable: null is read as absent, everywhere in this contract.
    """

    name: str  # the JSON key
    kind: Kind
    required: bool = False
    # The attribute of the parsed row (AccountIn / TransactionIn) when it differs from the
    # key: the aliases of the contract (iso_currency_code is stored as currency).
    alias: str | None = None
    # Where the value is stored; a character column gives the length limit (a TEXT is
    # also capped by INGEST_MAX_STRING_LENGTH: see ``max_length``).
    stored_in: models.Field[Any, Any] | None = None
    description: str = ""
    default: Any = None
    # A DATE may carry a time: the UTC timestamp goes to this attribute of the row.
    moment_alias: str | None = None

    @property
    def attr(self) -> str:
        """Return the parsed row's attribute for this field."""
        return self.alias or self.name

    def max_length(self, max_string: int) -> int | None:
        """Return the most characters the value may have, or None if unbounded.

        Every text of a request is capped by ``max_string`` (INGEST_MAX_STRING_LENGTH), a
        text stored in a character column also by the column; an idempotency key only by
        its column (it is not free text).
        """
        column_length = getattr(self.stored_in, "max_length", None)
        if self.kind is Kind.KEY:
            return column_length
        if self.kind is not Kind.TEXT:
            return None
        return max_string if column_length is None else min(column_length, max_string)


# --- Shared pieces of the kinds -----------------------------------------------------------

CURRENCIES = sorted(MINOR_UNITS)
# JSON-schema pattern of a required text: payload refuses a blank one.
NOT_BLANK = r"\S"
# The longest date text the parsers look at: the longest RFC 3339 datetime
# ("2025-10-30T08:00:00.123456789+02:00") is 35 characters; anything longer is refused
# before ``fromisoformat`` sees it.
DATE_TEXT_MAX_LENGTH = 40
DATE_DESCRIPTION = (
    f"YYYY-MM-DD or an RFC 3339 date-time (its UTC date is kept), "
    f"between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}."
)
DATE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "anyOf": [{"format": "date", "pattern": DATE_PATTERN}, {"format": "date-time"}],
    "description": DATE_DESCRIPTION,
}

# An account number (SPEC §10): an IBAN (at most 34 characters), a BBAN or a mobile-money
# wallet number. Spaces are ignored, because IBANs are printed and copied in groups of four
# ("GB82 WEST 1234 …"); nothing else is (a hyphen or a dot may be part of another scheme's
# number, so it is refused rather than guessed away). Letters are kept upper-case: IBANs
# and BBANs are case-insensitive. One pattern for the checker and the schema; it cannot
# backtrack (each group is one letter or digit and the spaces after it).
ACCOUNT_NUMBER_MIN_LENGTH = 4
ACCOUNT_NUMBER_MAX_LENGTH = 34
ACCOUNT_NUMBER_PATTERN = (
    rf"^ *(?:[A-Za-z0-9] *){{{ACCOUNT_NUMBER_MIN_LENGTH},{ACCOUNT_NUMBER_MAX_LENGTH}}}$"
)
# The mask an account without one gets from its number: the last characters, as banks print.
ACCOUNT_NUMBER_MASK_LENGTH = 4

# Amounts are stored as NUMERIC(max_digits, decimal_places); the largest adjusted exponent
# (the power of ten of the leading digit) follows from it: 14 for NUMERIC(19, 4).
_AMOUNT_COLUMN = column(Transaction, "amount")
assert isinstance(_AMOUNT_COLUMN, models.DecimalField)
AMOUNT_MAX_DIGITS: int = _AMOUNT_COLUMN.max_digits
AMOUNT_DECIMAL_PLACES: int = _AMOUNT_COLUMN.decimal_places
MAX_AMOUNT_ADJUSTED_EXPONENT = AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES - 1


# --- The tables ---------------------------------------------------------------------------
# In the order clients send the keys (Plaid's): msgspec tries the next field of the struct
# first, so the decoder follows that order; the checker moves an amount after the currency
# it is checked against.

ACCOUNT_FIELDS: tuple[Field, ...] = (
    Field("account_id", Kind.TEXT, required=True, stored_in=column(Account, "account_id")),
    Field("name", Kind.TEXT, required=True, stored_in=column(Account, "name")),
    Field("type", Kind.TEXT, required=True, stored_in=column(Account, "type")),
    Field("subtype", Kind.TEXT, stored_in=column(Account, "subtype")),
    Field(
        "mask",
        Kind.TEXT,
        stored_in=column(Account, "mask"),
        description=(
            f"When absent: the last {ACCOUNT_NUMBER_MASK_LENGTH} characters of account_number "
            "if one is sent; else an account with a stored number keeps its mask."
        ),
    ),
    Field(
        "iso_currency_code",
        Kind.CURRENCY,
        alias="currency",
        stored_in=column(Account, "currency"),
        description="ISO 4217; when absent, the first transaction's currency.",
    ),
    Field(
        "account_number",
        Kind.ACCOUNT_NUMBER,
        stored_in=column(Account, "account_number_encrypted"),
        description=(
            f"{ACCOUNT_NUMBER_MIN_LENGTH} to {ACCOUNT_NUMBER_MAX_LENGTH} letters and digits "
            "(an IBAN, a wallet number); spaces are ignored, letters upper-cased. Stored only "
            "encrypted and never shown: answers show mask. When absent, the stored number "
            "is kept."
        ),
    ),
)

TRANSACTION_FIELDS: tuple[Field, ...] = (
    Field(
        "transaction_id", Kind.TEXT, required=True, stored_in=column(Transaction, "transaction_id")
    ),
    # Stored as the account's row id; the text is the account's own account_id.
    Field(
        "account_id",
        Kind.TEXT,
        required=True,
        stored_in=column(Account, "account_id"),
        description="An account of this batch or an earlier one.",
    ),
    Field(
        "amount",
        Kind.AMOUNT,
        required=True,
        stored_in=_AMOUNT_COLUMN,
        description=(
            "Non-zero; negative is money out. A JSON number or a decimal string, with no more "
            "decimal places than the currency has."
        ),
    ),
    Field(
        "iso_currency_code",
        Kind.CURRENCY,
        required=True,
        alias="currency",
        stored_in=column(Transaction, "currency"),
    ),
    Field(
        "date",
        Kind.DATE,
        required=True,
        stored_in=column(Transaction, "date"),
        moment_alias="occurred_at",
    ),
    Field("authorized_date", Kind.DATE, stored_in=column(Transaction, "authorized_date")),
    Field("name", Kind.TEXT, alias="description", stored_in=column(Transaction, "description")),
    Field("merchant_name", Kind.TEXT, stored_in=column(Transaction, "merchant_name")),
    Field("payment_channel", Kind.TEXT, stored_in=column(Transaction, "payment_channel")),
    Field("pending", Kind.BOOLEAN, default=False, stored_in=column(Transaction, "pending")),
)

BATCH_FIELDS: tuple[Field, ...] = (
    Field(
        "accounts",
        Kind.ACCOUNTS,
        required=True,
        description="The accounts the transactions name (may be empty if known).",
    ),
    Field(
        "transactions",
        Kind.TRANSACTIONS,
        required=True,
        description="More than INGEST_MAX_TRANSACTIONS is a 413.",
    ),
    Field(
        "total_transactions",
        Kind.INTEGER,
        stored_in=column(Batch, "total_transactions"),
        description="If sent, the length of transactions.",
    ),
    Field(
        "request_id",
        Kind.KEY,
        stored_in=column(Batch, "request_id"),
        description="Idempotency key (or the Idempotency-Key header; both must then agree).",
    ),
)


def field_named(fields: tuple[Field, ...], name: str) -> Field:
    """Return the field of ``fields`` whose JSON key is ``name``."""
    return next(field for field in fields if field.name == name)


# The Idempotency-Key header and the body's request_id are one key, with one limit (a
# key's limit is its column's: INGEST_MAX_STRING_LENGTH, the argument, does not apply).
_KEY_LIMIT = field_named(BATCH_FIELDS, "request_id").max_length(max_string=0)
assert _KEY_LIMIT is not None
IDEMPOTENCY_KEY_MAX_LENGTH: int = _KEY_LIMIT
