"""Parse and validate an ingestion payload in one pass, collecting every problem.

DRF serializers validate ≈ 31 000 rows/s on this class of machine, too slow for the
10 000-row batches SPEC §8 asks to accept in 200 ms; msgspec decodes the JSON (with exact
decimals through ``float_hook``) and this module checks each row with plain Python, which
runs at several hundred thousand rows/s and reports *every* invalid field with its JSON
pointer, not just the first. Checks that need the database (is the account the caller's,
does the currency match it) are in ``services``.

Both passes are built from the field tables of ``contract``: the fast pass's typed decoder
(types, lengths, currency codes) and the thorough pass's per-field checks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from lucro.core.currencies import MINOR_UNITS
from lucro.core.errors import ApplicationError, PayloadTooLarge, ValidationFailed
from lucro.core.params import DATE_MAX, DATE_MIN, ISO_DATE, date_in_range, plain_decimal
from lucro.ingestion.contract import (
    ACCOUNT_FIELDS,
    ACCOUNT_NUMBER_MASK_LENGTH,
    ACCOUNT_NUMBER_MAX_LENGTH,
    ACCOUNT_NUMBER_MIN_LENGTH,
    ACCOUNT_NUMBER_PATTERN,
    AMOUNT_DECIMAL_PLACES,
    BATCH_FIELDS,
    CURRENCIES,
    DATE_TEXT_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MAX_AMOUNT_ADJUSTED_EXPONENT,
    TRANSACTION_FIELDS,
    Field,
    Kind,
)

# Enough to correct a bad payload, small enough that a batch of garbage cannot make a
# multi-megabyte error document.
MAX_REPORTED_ERRORS = 200

_decoder = msgspec.json.Decoder(float_hook=Decimal)

# What SPEC §4 and the README accept, and nothing more (amounts: ``plain_decimal``; dates:
# ``ISO_DATE``, shared with the query-string parsers; ``fromisoformat()`` alone also takes
# "20250505" and "2025-W01"). A datetime is RFC 3339 (``T`` or a space between date and
# time, seconds and fraction optional); one without an offset is taken as UTC, as Plaid's are.
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def _key_pattern(key: str) -> bytes:
    """Return a regex for ``key`` as a JSON object key, each letter plain or \\u-escaped."""
    letters = []
    for char in key:
        escape = "".join(
            f"[{h.lower()}{h.upper()}]" if h.isalpha() else h for h in f"{ord(char):04x}"
        )
        letters.append(f"(?:{char}|\\\\u{escape})")
    return ('"' + "".join(letters) + '"').encode()


# A string amount that is not a plain decimal, anywhere in a body. The fast pass decodes
# amounts to Decimal in C (msgspec), which also takes "1_000", " 5 " or non-ASCII digits;
# one scan of the raw body is far cheaper than checking each amount's text in Python
# (per 10 000 rows: ≈ 1.8 ms, or ≈ 3.3 ms allowing for escaped keys, against ≈ 10 ms;
# measured), and a hit sends the body to the thorough pass, which names the field.
# msgspec decodes a \u-escaped key all the same, so a body with any backslash is scanned
# for escaped keys too; most bodies have none (one memchr tells).
_NOT_PLAIN = rb'\s*:\s*"(?!-?[0-9]{1,19}(?:\.[0-9]{1,19})?")'
_NON_PLAIN_AMOUNT = re.compile(b'"amount"' + _NOT_PLAIN)
_NON_PLAIN_AMOUNT_ESCAPED = re.compile(_key_pattern("amount") + _NOT_PLAIN)


def _non_plain_amount(body: bytes) -> bool:
    """Return whether any amount in ``body`` is a string but not a plain decimal."""
    scan = _NON_PLAIN_AMOUNT_ESCAPED if b"\\" in body else _NON_PLAIN_AMOUNT
    return scan.search(body) is not None


_ACCOUNT_NUMBER = re.compile(ACCOUNT_NUMBER_PATTERN)


def account_number_normal(value: str) -> str | None:
    """Return ``value`` as an account number is stored (no spaces, upper case), or None.

    None when it is not one (see ``contract.ACCOUNT_NUMBER_PATTERN``).
    """
    if _ACCOUNT_NUMBER.fullmatch(value) is None:
        return None
    return value.replace(" ", "").upper()


def _account_number_detail(value: str) -> str:
    """Return why ``value`` is not an account number, without quoting any of it."""
    letters = value.replace(" ", "")
    if letters and not (letters.isascii() and letters.isalnum()):
        return "Must hold only letters A-Z, digits 0-9 and spaces."
    if len(letters) < ACCOUNT_NUMBER_MIN_LENGTH:
        bound = f"at least {ACCOUNT_NUMBER_MIN_LENGTH}"
    else:
        bound = f"at most {ACCOUNT_NUMBER_MAX_LENGTH}"
    return f"Must have {bound} letters or digits (spaces do not count)."


def _default_mask(mask: str | None, account_number: str | None) -> str | None:
    """Return the mask to store: the one sent, else the last characters of the number."""
    if mask is None and account_number is not None:
        return account_number[-ACCOUNT_NUMBER_MASK_LENGTH:]
    return mask


_DATE_DETAIL = (
    f"Must be a date (YYYY-MM-DD) or an RFC 3339 datetime, from {DATE_MIN} to {DATE_MAX}."
)
_AMOUNT_DETAIL = 'Must be a JSON number or a plain decimal string such as "-100.25".'


# The parsed rows hold only scalars, so they are kept out of the cyclic garbage collector
# (gc=False): 10 000 tracked rows made every full collection during a request ≈ 65 ms
# slower (measured), which is most of the 10 000-row batch's p95.


class AccountIn(msgspec.Struct, gc=False):
    account_id: str
    name: str
    type: str
    subtype: str | None
    mask: str | None
    currency: str | None
    # Normalised (contract.ACCOUNT_NUMBER_PATTERN); None: keep what is stored.
    account_number: str | None = None

    def __repr__(self) -> str:
        # Never the number: a row may reach a log line, a debug page or a test report.
        number = None if self.account_number is None else "<hidden>"
        return (
            f"AccountIn(account_id={self.account_id!r}, name={self.name!r}, type={self.type!r}, "
            f"subtype={self.subtype!r}, mask={self.mask!r}, currency={self.currency!r}, "
            f"account_number={number})"
        )


class TransactionIn(msgspec.Struct, gc=False):
    transaction_id: str
    account_id: str
    amount: Decimal
    currency: str
    date: dt.date
    occurred_at: dt.datetime | None
    authorized_date: dt.date | None
    description: str | None
    merchant_name: str | None
    payment_channel: str | None
    pending: bool


@dataclass(slots=True)
class BatchIn:
    accounts: list[AccountIn]
    transactions: list[TransactionIn]
    request_id: str | None
    total_transactions: int | None


class _Errors:
    """Collect pointer errors, remembering how many were past the cap."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.dropped = 0

    def add(self, pointer: str, detail: str) -> None:
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append({"pointer": pointer, "detail": detail})
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        total = len(self.items) + self.dropped
        detail = f"{total} problem(s) found; nothing was stored."
        if self.dropped:
            detail += f" The first {len(self.items)} are listed."
        raise ValidationFailed(detail, errors=self.items)


def _malformed(detail: str) -> ApplicationError:
    return ApplicationError(
        detail, status=400, code="malformed-body", title="Malformed request body"
    )


def decode_body(body: bytes) -> Any:
    """Decode JSON with exact decimals; malformed JSON is a 400 problem."""
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise _malformed(f"The body is not valid JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise _malformed("The body is not valid UTF-8.") from exc
    except RecursionError as exc:
        # msgspec's C decoder stops at its own depth limit (before the interpreter's stack
        # is at risk) and raises this; no batch is nested more than three levels deep.
        raise _malformed("The body is nested too deeply.") from exc


@dataclass(frozen=True, slots=True)
class _Check:
    """One field of a row as the thorough pass checks it, resolved once per request."""

    field: Field
    limit: int | None  # its length limit, for a text
    slot: int  # where its value goes among the row struct's fields
    # A date's timestamp slot, and an amount's currency slot (checked before it).
    moment_slot: int | None = None
    currency_slot: int | None = None


_Row = TypeVar("_Row", bound=msgspec.Struct)

# A row's checks in the order they run: the JSON key, the method of its kind, the check.
_Plan = tuple[tuple[str, Callable[[Any, str, _Check, list[Any]], Any], _Check], ...]


class _Parser:
    """Check every field of every row against the contract, collecting each problem."""

    def __init__(self, max_string: int) -> None:
        self.errors = _Errors()
        self.max_string = max_string
        self._dates: dict[str, tuple[dt.date, dt.datetime | None] | None] = {}
        self._account_plan = self._plan(ACCOUNT_FIELDS, AccountIn)
        self._transaction_plan = self._plan(TRANSACTION_FIELDS, TransactionIn)

    def _plan(self, fields: tuple[Field, ...], row_type: type[msgspec.Struct]) -> _Plan:
        """Return the checks of ``fields``, each amount moved after the currency it needs.

        The tables follow the order clients send (amount before iso_currency_code); the
        decimal places an amount may have depend on its currency, so that is checked first.
        """
        slots = {name: index for index, name in enumerate(row_type.__struct_fields__)}
        ordered = [field for field in fields if field.kind is not Kind.AMOUNT]
        currency = next((f for f in ordered if f.kind is Kind.CURRENCY), None)
        for field in fields:
            if field.kind is Kind.AMOUNT:
                ordered.insert(ordered.index(currency) + 1 if currency else len(ordered), field)
        methods = {
            Kind.TEXT: self.text,
            Kind.CURRENCY: self.currency,
            Kind.AMOUNT: self.amount,
            Kind.DATE: self.date,
            Kind.BOOLEAN: self.boolean,
            Kind.ACCOUNT_NUMBER: self.account_number,
        }
        return tuple(
            (
                field.name,
                methods[field.kind],
                _Check(
                    field,
                    field.max_length(self.max_string),
                    slots[field.attr],
                    slots[field.moment_alias] if field.moment_alias else None,
                    slots[currency.attr] if currency else None,
                ),
            )
            for field in ordered
        )

    # --- one field of each kind ------------------------------------------------------
    # Each returns the value to store (None if it is absent or wrong, after reporting why);
    # the field's pointer is built only for an error: most fields of a rejected batch
    # are valid.
    def text(self, value: Any, ptr: str, check: _Check, row: list[Any]) -> str | None:
        field = check.field
        if value is None:
            if field.required:
                self.errors.add(f"{ptr}/{field.name}", "This field is required.")
            return None
        if type(value) is not str:
            self.errors.add(f"{ptr}/{field.name}", "Must be a string.")
            return None
        if field.required and not value.strip():
            self.errors.add(f"{ptr}/{field.name}", "Must not be blank.")
            return None
        # A text over INGEST_MAX_STRING_LENGTH is named by that limit, whatever its column.
        if len(value) > self.max_string:
            self.errors.add(f"{ptr}/{field.name}", f"Must be at most {self.max_string} characters.")
            return None
        if "\x00" in value:
            self.errors.add(f"{ptr}/{field.name}", "Must not contain NUL characters.")
            return None
        limit = check.limit
        if limit is not None and len(value) > limit:
            self.errors.add(f"{ptr}/{field.name}", f"Must be at most {limit} characters.")
            return None
        return value

    def date(self, value: Any, ptr: str, check: _Check, row: list[Any]) -> dt.date | None:
        field = check.field
        if value is None:
            if field.required:
                self.errors.add(f"{ptr}/{field.name}", "This field is required.")
            return None
        if type(value) is not str:
            self.errors.add(f"{ptr}/{field.name}", "Must be an ISO 8601 date or datetime string.")
            return None
        # Statement dates repeat heavily within a batch: parse each distinct string once.
        if value in self._dates:
            parsed = self._dates[value]
        else:
            parsed = _parse_date(value)
            self._dates[value] = parsed
        if parsed is None:
            self.errors.add(f"{ptr}/{field.name}", _DATE_DETAIL)
            return None
        if check.moment_slot is not None:
            row[check.moment_slot] = parsed[1]
        return parsed[0]

    def amount(self, value: Any, ptr: str, check: _Check, row: list[Any]) -> Decimal | None:
        pointer = f"{ptr}/{check.field.name}"
        if value is None:
            if check.field.required:
                self.errors.add(pointer, "This field is required.")
            return None
        amount: Decimal | None = None
        if type(value) is Decimal:
            amount = value
        elif type(value) is int:
            amount = Decimal(value)
        elif type(value) is str:
            amount = plain_decimal(value)
        if amount is None:
            self.errors.add(pointer, _AMOUNT_DETAIL)
            return None
        if not amount.is_finite():
            self.errors.add(pointer, "Must be a finite number.")
            return None
        if amount == 0:
            self.errors.add(pointer, "Must not be zero.")
            return None
        if amount.adjusted() > MAX_AMOUNT_ADJUSTED_EXPONENT:
            self.errors.add(pointer, "Is too large.")
            return None
        exponent = amount.as_tuple().exponent
        assert isinstance(exponent, int)
        places = max(0, -exponent)
        # The row's currency, None if it is missing or wrong (and so already reported).
        currency = None if check.currency_slot is None else row[check.currency_slot]
        if currency is not None:
            allowed = MINOR_UNITS[currency]
            if places > allowed:
                # 100.10 has two places written but one significant: compare normalised.
                normal_exp = amount.normalize().as_tuple().exponent
                assert isinstance(normal_exp, int)
                if max(0, -normal_exp) > allowed:
                    self.errors.add(pointer, f"{currency} allows at most {allowed} decimal places.")
                    return None
        elif places > AMOUNT_DECIMAL_PLACES:
            # More places than the column keeps, on a row already refused for its currency.
            return None
        return amount

    def currency(self, value: Any, ptr: str, check: _Check, row: list[Any]) -> str | None:
        if value is None:
            if check.field.required:
                self.errors.add(f"{ptr}/{check.field.name}", "This field is required.")
            return None
        if type(value) is not str or value not in MINOR_UNITS:
            self.errors.add(
                f"{ptr}/{check.field.name}", "Must be an ISO 4217 currency code, e.g. USD."
            )
            return None
        return value

    def account_number(self, value: Any, ptr: str, check: _Check, row: list[Any]) -> str | None:
        # No detail quotes the value, nor says which character is wrong: an error
        # document is logged and stored by clients, the number must not be in it.
        if value is None:
            return None
        if type(value) is not str:
            self.errors.add(
                f"{ptr}/{check.field.name}",
                f"Must be a string of {ACCOUNT_NUMBER_MIN_LENGTH} to "
                f"{ACCOUNT_NUMBER_MAX_LENGTH} letters and digits.",
            )
            return None
        normal = account_number_normal(value)
        if normal is None:
            self.errors.add(f"{ptr}/{check.field.name}", _account_number_detail(value))
        return normal

    def boolean(self, value: Any, ptr: str, check: _Check, row: list[Any]) -> bool | None:
        if value is None:
            return bool(check.field.default)
        if type(value) is not bool:
            self.errors.add(f"{ptr}/{check.field.name}", "Must be true or false.")
            return None
        return value

    # --- records ---------------------------------------------------------------------
    def row(self, obj: Any, ptr: str, plan: _Plan, row_type: type[_Row]) -> _Row | None:
        """Return ``obj`` as a ``row_type``, or None if any of its fields is wrong."""
        if type(obj) is not dict:
            self.errors.add(ptr, "Must be an object.")
            return None
        errors = self.errors
        before = len(errors.items) + errors.dropped
        values: list[Any] = [None] * len(row_type.__struct_fields__)
        get = obj.get
        for name, method, check in plan:
            values[check.slot] = method(get(name), ptr, check, values)
        if len(errors.items) + errors.dropped != before:
            return None
        return row_type(*values)

    def account(self, obj: Any, index: int) -> AccountIn | None:
        account = self.row(obj, f"/accounts/{index}", self._account_plan, AccountIn)
        if account is not None:
            account.mask = _default_mask(account.mask, account.account_number)
        return account

    def transaction(self, obj: Any, index: int) -> TransactionIn | None:
        return self.row(obj, f"/transactions/{index}", self._transaction_plan, TransactionIn)


def _parse_date(value: str) -> tuple[dt.date, dt.datetime | None] | None:
    """Return (UTC date, original timestamp or None) for a date or an RFC 3339 datetime.

    None when the text is neither, or when the date falls outside [DATE_MIN, DATE_MAX].
    """
    if len(value) == 10:
        if not ISO_DATE.fullmatch(value):
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return None
        return (day, None) if date_in_range(day) else None
    if len(value) > DATE_TEXT_MAX_LENGTH or not _ISO_DATETIME.fullmatch(value):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        utc = moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None
    return (utc.date(), utc) if date_in_range(utc.date()) else None


def _fast_type(field: Field, max_string: int, items: dict[Kind, Any]) -> Any:
    """Return the msgspec type that decodes ``field`` (not None: see ``_fast_field``)."""
    kind = field.kind
    if kind is Kind.TEXT or kind is Kind.KEY:
        # The blank check of a required text stays in Python (``_parse_fast``): a
        # ``pattern`` constraint calls the regex engine per value, ≈ 4.5 ms per 10 000 rows
        # more than ``str.strip`` (measured).
        least = 1 if field.required or kind is Kind.KEY else None
        meta = msgspec.Meta(min_length=least, max_length=field.max_length(max_string))
        return Annotated[str, meta]
    if kind is Kind.CURRENCY:
        return Literal[tuple(CURRENCIES)]
    if kind is Kind.AMOUNT:
        # msgspec's Decimal also takes "1_000", " 5 " and non-ASCII digits from a
        # string: _NON_PLAIN_AMOUNT sends such a body to the thorough pass first.
        return Decimal
    if kind is Kind.DATE:
        return Annotated[str, msgspec.Meta(max_length=DATE_TEXT_MAX_LENGTH)]
    if kind is Kind.BOOLEAN:
        return bool
    if kind is Kind.INTEGER:
        return int
    if kind is Kind.ACCOUNT_NUMBER:
        return str  # checked and normalised in Python (_parse_fast): accounts are few
    return list[items[kind]]  # type: ignore[valid-type]


def _fast_field(field: Field, max_string: int, items: dict[Kind, Any]) -> tuple[Any, ...]:
    """Return ``field`` as a ``defstruct`` field: an optional one may be null or absent."""
    decoded = _fast_type(field, max_string, items)
    if field.required:
        return (field.name, decoded)
    return (field.name, decoded | None, None)


@cache
def _fast_decoder(max_string: int) -> msgspec.json.Decoder[Any]:
    """Return a typed decoder for the common case of a valid batch.

    Typed decoding checks types, lengths and currency codes in C; it stops at the first
    problem, so any failure falls back to the thorough pass that lists them all. The
    structs are built from the contract's tables, with their JSON keys as field names.
    """
    # defstruct, not class statements: the fields come from the tables. The rows hold
    # only scalars, so they stay out of the garbage collector (see AccountIn).
    fast_account = msgspec.defstruct(
        "FastAccount", [_fast_field(f, max_string, {}) for f in ACCOUNT_FIELDS], gc=False
    )
    fast_transaction = msgspec.defstruct(
        "FastTransaction", [_fast_field(f, max_string, {}) for f in TRANSACTION_FIELDS], gc=False
    )
    items = {Kind.ACCOUNTS: fast_account, Kind.TRANSACTIONS: fast_transaction}
    fast_batch = msgspec.defstruct(
        "FastBatch", [_fast_field(f, max_string, items) for f in BATCH_FIELDS]
    )
    return msgspec.json.Decoder(fast_batch)


def _parse_fast(
    body: bytes, max_transactions: int, max_string: int, header_key: str | None
) -> BatchIn | None:
    """Return the batch if it is valid, or None to let the thorough pass explain why not."""
    # JSON can only carry a NUL as this escape; such bodies take the thorough path.
    if b"\\u0000" in body or _non_plain_amount(body):
        return None
    try:
        fast = _fast_decoder(max_string).decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError):
        # ValueError covers invalid UTF-8; RecursionError is msgspec's own depth limit.
        return None
    n = len(fast.transactions)
    if not 0 < n <= max_transactions or (fast.total_transactions not in (None, n)):
        return None
    if fast.request_id is not None and (
        not _valid_key(fast.request_id)
        or (header_key is not None and fast.request_id != header_key)
    ):
        return None
    # What the decoder cannot say in C (blank required texts, an amount's places for its
    # currency, the date forms) is checked here by hand, field by field: every row of a
    # valid batch passes through these lines, so they stay plain attribute reads.
    # tests/test_contract.py proves they still cover every required text of the tables.
    accounts = []
    for a in fast.accounts:
        if not (a.account_id.strip() and a.name.strip() and a.type.strip()):
            return None
        number = a.account_number
        if number is not None:
            number = account_number_normal(number)
            if number is None:
                return None
        accounts.append(
            AccountIn(
                a.account_id,
                a.name,
                a.type,
                a.subtype,
                _default_mask(a.mask, number),
                a.iso_currency_code,
                number,
            )
        )
    if len({a.account_id for a in accounts}) != len(accounts):
        return None
    dates: dict[str, tuple[dt.date, dt.datetime | None] | None] = {}
    minor = MINOR_UNITS
    out: list[TransactionIn] = []
    append = out.append
    for t in fast.transactions:
        amount = t.amount
        if not amount.is_finite() or not amount or amount.adjusted() > MAX_AMOUNT_ADJUSTED_EXPONENT:
            return None
        exponent = amount.as_tuple().exponent
        if -exponent > minor[t.iso_currency_code]:  # type: ignore[operator]
            return None  # possibly only trailing zeros: the thorough pass decides
        raw_date = t.date
        parsed = dates.get(raw_date)
        if parsed is None:
            parsed = dates[raw_date] = _parse_date(raw_date)
            if parsed is None:
                return None
        authorized: dt.date | None = None
        if t.authorized_date is not None:
            auth = dates.get(t.authorized_date)
            if auth is None:
                auth = dates[t.authorized_date] = _parse_date(t.authorized_date)
                if auth is None:
                    return None
            authorized = auth[0]
        if not t.transaction_id.strip() or not t.account_id.strip():
            return None
        append(
            TransactionIn(
                t.transaction_id,
                t.account_id,
                amount,
                t.iso_currency_code,
                parsed[0],
                parsed[1],
                authorized,
                t.name,
                t.merchant_name,
                t.payment_channel,
                bool(t.pending),
            )
        )
    if len({t.transaction_id for t in out}) != n:
        return None
    return BatchIn(accounts, out, fast.request_id or header_key, fast.total_transactions)


def _valid_key(key: str) -> bool:
    """Return whether ``key`` can be an idempotency key (as ``request_id`` is checked)."""
    return bool(key.strip()) and len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and key.isprintable()


def parse_batch(
    body: bytes, *, max_transactions: int, max_string: int, header_key: str | None
) -> BatchIn:
    """Decode and validate ``body``; raise a problem listing every invalid field."""
    if header_key is not None and not _valid_key(header_key):
        raise ValidationFailed(
            "The Idempotency-Key header is invalid; nothing was stored.",
            errors=[
                {
                    "pointer": "#/headers/Idempotency-Key",
                    "detail": (
                        f"Must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters, "
                        "not all blank."
                    ),
                }
            ],
        )
    fast = _parse_fast(body, max_transactions, max_string, header_key)
    if fast is not None:
        return fast
    data = decode_body(body)
    if type(data) is not dict:
        raise ValidationFailed(
            "The body must be a JSON object.",
            errors=[{"pointer": "", "detail": "Must be a JSON object."}],
        )
    parser = _Parser(max_string)
    errors = parser.errors

    raw_accounts = data.get("accounts")
    raw_transactions = data.get("transactions")
    if raw_accounts is None:
        errors.add("/accounts", "This field is required (it may be an empty list).")
    elif type(raw_accounts) is not list:
        errors.add("/accounts", "Must be a list.")
    if raw_transactions is None:
        errors.add("/transactions", "This field is required.")
    elif type(raw_transactions) is not list:
        errors.add("/transactions", "Must be a list.")
    elif not raw_transactions:
        errors.add("/transactions", "Must contain at least one transaction.")
    elif len(raw_transactions) > max_transactions:
        raise PayloadTooLarge(
            f"A batch holds at most {max_transactions} transactions; "
            f"this one has {len(raw_transactions)}. Split it into several requests."
        )

    request_id = data.get("request_id")
    if request_id is not None and (type(request_id) is not str or not _valid_key(request_id)):
        errors.add(
            "/request_id",
            f"Must be a non-blank string of at most {IDEMPOTENCY_KEY_MAX_LENGTH} "
            "printable characters.",
        )
        request_id = None
    if request_id is not None and header_key is not None and request_id != header_key:
        errors.add("/request_id", "Differs from the Idempotency-Key header.")

    total = data.get("total_transactions")
    if total is not None:
        if type(total) is not int:
            errors.add("/total_transactions", "Must be an integer.")
            total = None
        elif type(raw_transactions) is list and total != len(raw_transactions):
            errors.add(
                "/total_transactions",
                f"Is {total} but the batch holds {len(raw_transactions)} transactions.",
            )

    accounts: list[AccountIn] = []
    if type(raw_accounts) is list:
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_accounts):
            account = parser.account(raw, index)
            if account is None:
                continue
            if account.account_id in seen:
                errors.add(
                    f"/accounts/{index}/account_id",
                    f"Duplicates /accounts/{seen[account.account_id]}.",
                )
                continue
            seen[account.account_id] = index
            accounts.append(account)

    transactions: list[TransactionIn] = []
    if type(raw_transactions) is list:
        seen_keys: dict[str, int] = {}
        parse_one = parser.transaction
        for index, raw in enumerate(raw_transactions):
            txn = parse_one(raw, index)
            if txn is None:
                continue
            key = txn.transaction_id
            if key in seen_keys:
                errors.add(
                    f"/transactions/{index}/transaction_id",
                    f"Duplicates /transactions/{seen_keys[key]} in this batch.",
                )
                continue
            seen_keys[key] = index
            transactions.append(txn)

    errors.raise_if_any()
    return BatchIn(
        accounts, transactions, request_id or header_key, total if isinstance(total, int) else None
    )


def pointer_errors(errors: list[dict[str, str]]) -> None:
    """Raise ``errors`` (found after parsing) as one validation problem."""
    if errors:
        raise ValidationFailed(
            f"{len(errors)} problem(s) found; nothing was stored.",
            errors=errors[:MAX_REPORTED_ERRORS],
        )
