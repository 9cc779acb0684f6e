"""Parse and validate an ingestion payload in one pass, collecting every problem.

DRF serializers validate ≈ 31 000 rows/s on this class of machine, too slow for the
10 000-row batches SPEC §8 asks to accept in 200 ms; msgspec decodes the JSON (with exact
decimals through ``float_hook``) and this module checks each row with plain Python, which
runs at several hundred thousand rows/s and reports *every* invalid field with its JSON
pointer, not just the first. Checks that need the database (is the account the caller's,
does the currency match it) are in ``services``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

import msgspec

from lucro.core.currencies import MINOR_UNITS
from lucro.core.errors import ApplicationError, PayloadTooLarge, ValidationFailed
from lucro.core.params import DATE_MAX, DATE_MIN, ISO_DATE, date_in_range, plain_decimal

# Enough to correct a bad payload, small enough that a batch of garbage cannot make a
# multi-megabyte error document.
MAX_REPORTED_ERRORS = 200
# Amounts are stored as NUMERIC(19, 4): at most 15 digits before the point.
MAX_AMOUNT_ADJUSTED_EXPONENT = 14

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


class _Parser:
    def __init__(self, max_string: int) -> None:
        self.errors = _Errors()
        self.max_string = max_string
        self._dates: dict[str, tuple[dt.date, dt.datetime | None] | None] = {}

    # --- scalar helpers --------------------------------------------------------------
    def string(self, obj: dict[str, Any], key: str, ptr: str, *, required: bool) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.errors.add(f"{ptr}/{key}", "This field is required.")
            return None
        if type(value) is not str:
            self.errors.add(f"{ptr}/{key}", "Must be a string.")
            return None
        if required and not value.strip():
            self.errors.add(f"{ptr}/{key}", "Must not be blank.")
            return None
        if len(value) > self.max_string:
            self.errors.add(f"{ptr}/{key}", f"Must be at most {self.max_string} characters.")
            return None
        if "\x00" in value:
            self.errors.add(f"{ptr}/{key}", "Must not contain NUL characters.")
            return None
        return value

    def date(
        self, value: Any, pointer: str, *, required: bool
    ) -> tuple[dt.date, dt.datetime | None] | None:
        if value is None:
            if required:
                self.errors.add(pointer, "This field is required.")
            return None
        if type(value) is not str:
            self.errors.add(pointer, "Must be an ISO 8601 date or datetime string.")
            return None
        # Statement dates repeat heavily within a batch: parse each distinct string once.
        if value in self._dates:
            parsed = self._dates[value]
        else:
            parsed = _parse_date(value)
            self._dates[value] = parsed
        if parsed is None:
            self.errors.add(pointer, _DATE_DETAIL)
        return parsed

    def amount(self, value: Any, currency: str | None, pointer: str) -> Decimal | None:
        if value is None:
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
        if currency is not None:
            allowed = MINOR_UNITS[currency]
            if places > allowed:
                # 100.10 has two places written but one significant: compare normalised.
                normal_exp = amount.normalize().as_tuple().exponent
                assert isinstance(normal_exp, int)
                if max(0, -normal_exp) > allowed:
                    self.errors.add(pointer, f"{currency} allows at most {allowed} decimal places.")
                    return None
        elif places > 4:
            return None
        return amount

    def currency(self, value: Any, pointer: str, *, required: bool) -> str | None:
        if value is None:
            if required:
                self.errors.add(pointer, "This field is required.")
            return None
        if type(value) is not str or value not in MINOR_UNITS:
            self.errors.add(pointer, "Must be an ISO 4217 currency code, e.g. USD.")
            return None
        return value

    # --- records ---------------------------------------------------------------------
    def account(self, obj: Any, index: int) -> AccountIn | None:
        ptr = f"/accounts/{index}"
        if type(obj) is not dict:
            self.errors.add(ptr, "Must be an object.")
            return None
        before = len(self.errors.items) + self.errors.dropped
        account_id = self.string(obj, "account_id", ptr, required=True)
        name = self.string(obj, "name", ptr, required=True)
        type_ = self.string(obj, "type", ptr, required=True)
        subtype = self.string(obj, "subtype", ptr, required=False)
        mask = self.string(obj, "mask", ptr, required=False)
        currency = self.currency(
            obj.get("iso_currency_code"), f"{ptr}/iso_currency_code", required=False
        )
        if mask is not None and len(mask) > 32:
            self.errors.add(f"{ptr}/mask", "Must be at most 32 characters.")
        for key, value, limit in (
            ("type", type_, 64),
            ("subtype", subtype, 64),
            ("account_id", account_id, 255),
            ("name", name, 255),
        ):
            if value is not None and len(value) > limit:
                self.errors.add(f"{ptr}/{key}", f"Must be at most {limit} characters.")
        if len(self.errors.items) + self.errors.dropped != before:
            return None
        assert account_id is not None and name is not None and type_ is not None
        return AccountIn(account_id, name, type_, subtype, mask, currency)

    def transaction(self, obj: Any, index: int) -> TransactionIn | None:
        ptr = f"/transactions/{index}"
        if type(obj) is not dict:
            self.errors.add(ptr, "Must be an object.")
            return None
        before = len(self.errors.items) + self.errors.dropped
        transaction_id = self.string(obj, "transaction_id", ptr, required=True)
        account_id = self.string(obj, "account_id", ptr, required=True)
        currency = self.currency(
            obj.get("iso_currency_code"), f"{ptr}/iso_currency_code", required=True
        )
        amount = self.amount(obj.get("amount"), currency, f"{ptr}/amount")
        date = self.date(obj.get("date"), f"{ptr}/date", required=True)
        authorized = self.date(obj.get("authorized_date"), f"{ptr}/authorized_date", required=False)
        description = self.string(obj, "name", ptr, required=False)
        merchant = self.string(obj, "merchant_name", ptr, required=False)
        channel = self.string(obj, "payment_channel", ptr, required=False)
        pending = obj.get("pending")
        if pending is None:
            pending = False
        elif type(pending) is not bool:
            self.errors.add(f"{ptr}/pending", "Must be true or false.")
        for key, value, limit in (
            ("transaction_id", transaction_id, 255),
            ("account_id", account_id, 255),
            ("payment_channel", channel, 64),
        ):
            if value is not None and len(value) > limit:
                self.errors.add(f"{ptr}/{key}", f"Must be at most {limit} characters.")
        if len(self.errors.items) + self.errors.dropped != before:
            return None
        assert transaction_id is not None and account_id is not None
        assert currency is not None and amount is not None and date is not None
        return TransactionIn(
            transaction_id,
            account_id,
            amount,
            currency,
            date[0],
            date[1],
            authorized[0] if authorized else None,
            description,
            merchant,
            channel,
            pending,
        )


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
    if len(value) > 40 or not _ISO_DATETIME.fullmatch(value):
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


@cache
def _fast_decoder(max_string: int) -> msgspec.json.Decoder[Any]:
    """Return a typed decoder for the common case of a valid batch.

    Typed decoding checks types, lengths and currency codes in C; it stops at the first
    problem, so any failure falls back to the thorough pass that lists them all.
    """
    # defstruct, not class statements: with postponed annotations msgspec could not
    # resolve types local to this function.
    short = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    text = Annotated[str, msgspec.Meta(max_length=max_string)]
    upto64 = Annotated[str, msgspec.Meta(max_length=64)]
    datestr = Annotated[str, msgspec.Meta(max_length=40)]
    currency = Literal[tuple(sorted(MINOR_UNITS))]  # type: ignore[valid-type]
    fast_account = msgspec.defstruct(
        "FastAccount",
        [
            ("account_id", short),
            ("name", short),
            ("type", Annotated[str, msgspec.Meta(min_length=1, max_length=64)]),
            ("subtype", upto64 | None, None),
            ("mask", Annotated[str, msgspec.Meta(max_length=32)] | None, None),
            ("iso_currency_code", currency | None, None),
        ],
        gc=False,
    )
    fast_transaction = msgspec.defstruct(
        "FastTransaction",
        [
            ("transaction_id", short),
            ("account_id", short),
            # msgspec's Decimal also takes "1_000", " 5 " and non-ASCII digits from a
            # string: _NON_PLAIN_AMOUNT sends such a body to the thorough pass first.
            ("amount", Decimal),
            ("iso_currency_code", currency),
            ("date", datestr),
            ("authorized_date", datestr | None, None),
            ("name", text | None, None),
            ("merchant_name", text | None, None),
            ("payment_channel", upto64 | None, None),
            ("pending", bool | None, None),
        ],
        gc=False,
    )
    fast_batch = msgspec.defstruct(
        "FastBatch",
        [
            ("accounts", list[fast_account]),  # type: ignore[valid-type]
            ("transactions", list[fast_transaction]),  # type: ignore[valid-type]
            ("total_transactions", int | None, None),
            ("request_id", short | None, None),
        ],
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
    accounts = []
    for a in fast.accounts:
        if not (a.account_id.strip() and a.name.strip() and a.type.strip()):
            return None
        accounts.append(
            AccountIn(a.account_id, a.name, a.type, a.subtype, a.mask, a.iso_currency_code)
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
    return bool(key.strip()) and len(key) <= 255 and key.isprintable()


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
                    "detail": "Must be 1 to 255 printable characters, not all blank.",
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
        errors.add("/request_id", "Must be a non-blank string of at most 255 printable characters.")
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
