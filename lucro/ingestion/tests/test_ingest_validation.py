"""Every kind of invalid payload is a 4xx problem+json and writes nothing at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lucro.ingestion.models import Account, Batch, Transaction
from lucro.testing import make_batch

URL = "/api/v1/integrations/transactions/"


def assert_nothing_written() -> None:
    assert Account.objects.count() == 0
    assert Batch.objects.count() == 0
    assert Transaction.objects.count() == 0


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def pointers(body: dict[str, Any]) -> set[str]:
    return {e["pointer"] for e in body.get("errors", [])}


def _with(index: int, **changes: Any) -> dict[str, Any]:
    """A 5-transaction batch whose transaction ``index`` has ``changes`` (None deletes)."""
    payload = make_batch(5)
    txn = payload["transactions"][index]
    for key, value in changes.items():
        if value is _DELETE:
            del txn[key]
        else:
            txn[key] = value
    return payload


_DELETE = object()


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"transaction_id": _DELETE}, "/transactions/3/transaction_id"),
        ({"transaction_id": ""}, "/transactions/3/transaction_id"),
        ({"transaction_id": 12}, "/transactions/3/transaction_id"),
        ({"account_id": _DELETE}, "/transactions/3/account_id"),
        ({"amount": _DELETE}, "/transactions/3/amount"),
        ({"amount": "twelve"}, "/transactions/3/amount"),
        ({"amount": True}, "/transactions/3/amount"),
        ({"amount": [1]}, "/transactions/3/amount"),
        ({"amount": 0}, "/transactions/3/amount"),
        ({"amount": "0.00"}, "/transactions/3/amount"),
        ({"amount": "-1.234"}, "/transactions/3/amount"),
        ({"amount": -1.005}, "/transactions/3/amount"),
        ({"amount": "NaN"}, "/transactions/3/amount"),
        ({"amount": "Infinity"}, "/transactions/3/amount"),
        ({"amount": "1e400"}, "/transactions/3/amount"),
        ({"amount": "1" * 30}, "/transactions/3/amount"),
        ({"iso_currency_code": _DELETE}, "/transactions/3/iso_currency_code"),
        ({"iso_currency_code": "usd"}, "/transactions/3/iso_currency_code"),
        ({"iso_currency_code": "XYZ"}, "/transactions/3/iso_currency_code"),
        ({"iso_currency_code": "EUR"}, "/transactions/3/iso_currency_code"),  # not the account's
        ({"date": _DELETE}, "/transactions/3/date"),
        ({"date": "2025-02-30"}, "/transactions/3/date"),
        ({"date": "30/10/2025"}, "/transactions/3/date"),
        ({"date": 20251030}, "/transactions/3/date"),
        ({"authorized_date": "yesterday"}, "/transactions/3/authorized_date"),
        ({"pending": "no"}, "/transactions/3/pending"),
        ({"name": "x" * 5000}, "/transactions/3/name"),
        ({"merchant_name": "bad\x00byte"}, "/transactions/3/merchant_name"),
        ({"account_id": "acc_unknown"}, "/transactions/3/account_id"),
        ({"transaction_id": "tx_1"}, "/transactions/3/transaction_id"),  # duplicate in payload
        # Only a JSON number or a plain decimal string is an amount (issue 10).
        ({"amount": "1_000"}, "/transactions/3/amount"),
        ({"amount": " 5 "}, "/transactions/3/amount"),
        ({"amount": "-5 "}, "/transactions/3/amount"),
        ({"amount": "١٢٫٥"}, "/transactions/3/amount"),  # Arabic-Indic digits
        ({"amount": "１２"}, "/transactions/3/amount"),  # full-width digits
        ({"amount": "+5"}, "/transactions/3/amount"),
        ({"amount": "1e3"}, "/transactions/3/amount"),
        ({"amount": ".5"}, "/transactions/3/amount"),
        ({"amount": "5."}, "/transactions/3/amount"),
        # Only YYYY-MM-DD or an RFC 3339 datetime, within the sane range.
        ({"date": "20250505"}, "/transactions/3/date"),
        ({"date": "2025-W01"}, "/transactions/3/date"),
        ({"date": "2025-W01-1"}, "/transactions/3/date"),
        ({"date": "2025-05-05T10"}, "/transactions/3/date"),
        ({"date": "２０２５-05-05"}, "/transactions/3/date"),
        ({"date": "9999-12-31"}, "/transactions/3/date"),
        ({"date": "9999-12-31T23:59:59Z"}, "/transactions/3/date"),
        ({"date": "0001-01-01"}, "/transactions/3/date"),
        ({"date": "1899-12-31"}, "/transactions/3/date"),
        ({"date": "2101-01-01"}, "/transactions/3/date"),
        ({"authorized_date": "9999-12-31"}, "/transactions/3/authorized_date"),
    ],
)
def test_one_invalid_item_writes_nothing(api, changes, pointer):
    body = assert_problem(api.post(URL, _with(3, **changes)), 400)
    assert pointer in pointers(body), body
    assert_nothing_written()


def test_every_problem_is_listed_with_its_pointer(api):
    payload = make_batch(4)
    payload["transactions"][0]["amount"] = "abc"
    payload["transactions"][2]["date"] = "nope"
    payload["transactions"][3]["iso_currency_code"] = "ZZZ"
    body = assert_problem(api.post(URL, payload), 400)
    assert pointers(body) == {
        "/transactions/0/amount",
        "/transactions/2/date",
        "/transactions/3/iso_currency_code",
    }
    assert_nothing_written()


def test_total_transactions_mismatch(api):
    payload = make_batch(3)
    payload["total_transactions"] = 4
    body = assert_problem(api.post(URL, payload), 400)
    assert pointers(body) == {"/total_transactions"}
    assert_nothing_written()


@pytest.mark.parametrize(
    ("account_changes", "pointer"),
    [
        ({"name": None}, "/accounts/0/name"),
        ({"type": 5}, "/accounts/0/type"),
        ({"account_id": ""}, "/accounts/0/account_id"),
        ({"iso_currency_code": "DOLLARS"}, "/accounts/0/iso_currency_code"),
    ],
)
def test_invalid_account_writes_nothing(api, account_changes, pointer):
    payload = make_batch(2)
    payload["accounts"][0].update(account_changes)
    body = assert_problem(api.post(URL, payload), 400)
    assert pointer in pointers(body)
    assert_nothing_written()


def test_currency_minor_units(api):
    ok = make_batch(1, account_id="jpy", currency="JPY")
    ok["transactions"][0]["amount"] = -1500
    assert api.post(URL, ok).status_code == 202
    bad = make_batch(1, account_id="jpy2", currency="JPY")
    bad["transactions"][0]["amount"] = "-1500.5"
    assert "/transactions/0/amount" in pointers(assert_problem(api.post(URL, bad), 400))
    kwd = make_batch(1, account_id="kwd", currency="KWD")
    kwd["transactions"][0]["amount"] = "-1.125"
    assert api.post(URL, kwd).status_code == 202
    # Trailing zeros are not extra precision.
    usd = make_batch(1, account_id="usd")
    usd["transactions"][0]["amount"] = "-10.5000"
    assert api.post(URL, usd).status_code == 202


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"not json",
        b"NaN",
        b'{"accounts": [], "transactions": [NaN]}',
        b"  ",
        b"\xff\xfe",
        b'{"a": "\\ud800"}',
        # Issue 10: these answered 500 (RecursionError, UnicodeDecodeError).
        b"[" * 1000 + b"]" * 1000,
        b'{"accounts": ' + b"[" * 5000 + b"]" * 5000 + b', "transactions": []}',
        b'{"extra": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2000 + b"}",
        b'{"accounts": [], "transactions": [{"name": "caf\xe9"}]}',
        b'{"accounts": [], "transactions": [], "request_id": "\xff\xfe"}',
    ],
)
def test_malformed_json_is_400(api, raw):
    body = assert_problem(api.post(URL, raw=raw), 400)
    assert body["detail"]
    assert_nothing_written()


def test_a_string_amount_under_an_escaped_key_is_checked_too(api):
    # msgspec decodes "\u0061mount" as "amount": the fast pass must not wave it through.
    raw = json.dumps(make_batch(2)).replace('"amount": "-1.25"', '"\\u0061mount": "1_000"', 1)
    assert "\\u0061mount" in raw
    body = assert_problem(api.post(URL, raw=raw), 400)
    assert pointers(body) == {"/transactions/0/amount"}
    assert_nothing_written()


def test_escapes_elsewhere_keep_plain_amounts_valid(api):
    payload = make_batch(3, name="Café Naïve")
    raw = json.dumps(payload)  # ensure_ascii: every name carries \u escapes
    assert "\\u00e9" in raw
    response = api.post(URL, raw=raw)
    assert response.status_code == 202, response.content
    assert response.json()["created"] == 3


def test_valid_amount_and_date_forms_are_accepted(api):
    payload = make_batch(4)
    forms = [
        ("-12.50", "2025-10-30"),
        (-12.5, "2025-10-30T08:00:00Z"),
        ("-12", "2025-10-30T08:00:00.123456+02:00"),
        (-1e1, "2025-10-30 08:00"),
    ]
    for txn, (amount, date) in zip(payload["transactions"], forms, strict=True):
        txn["amount"] = amount
        txn["date"] = date
    response = api.post(URL, payload)
    assert response.status_code == 202, response.content
    assert response.json()["created"] == 4


@pytest.mark.parametrize(
    "key", ["k" * 256, "   ", "line\nbreak", "nul\x00byte"], ids=["long", "blank", "nl", "nul"]
)
def test_an_invalid_idempotency_key_header_is_named(api, key):
    response = api.post(URL, make_batch(1), headers={"Idempotency-Key": key})
    body = assert_problem(response, 400)
    assert pointers(body) == {"#/headers/Idempotency-Key"}
    assert_nothing_written()


@pytest.mark.parametrize("raw", [b"[]", b"[1, 2]", b"42", b'"text"', b"null", b"true"])
def test_non_object_body_is_400(api, raw):
    assert_problem(api.post(URL, raw=raw), 400)
    assert_nothing_written()


def test_numbers_out_of_range(api):
    raw = json.dumps(make_batch(1)).replace('"-1.25"', "1e400").encode()
    assert "/transactions/0/amount" in pointers(assert_problem(api.post(URL, raw=raw), 400))
    raw = json.dumps(make_batch(1)).replace('"-1.25"', "9" * 400).encode()
    assert "/transactions/0/amount" in pointers(assert_problem(api.post(URL, raw=raw), 400))
    assert_nothing_written()


def test_missing_top_level_fields(api):
    body = assert_problem(api.post(URL, {}), 400)
    assert {"/accounts", "/transactions"} <= pointers(body)
    body = assert_problem(api.post(URL, {"accounts": [], "transactions": []}), 400)
    assert "/transactions" in pointers(body)
    body = assert_problem(api.post(URL, {"accounts": {}, "transactions": "x"}), 400)
    assert {"/accounts", "/transactions"} <= pointers(body)


def test_too_many_transactions_is_413(api, settings):
    settings.INGEST_MAX_TRANSACTIONS = 10
    assert_problem(api.post(URL, make_batch(11)), 413)
    assert_nothing_written()
    assert api.post(URL, make_batch(10)).status_code == 202


def test_body_too_large_is_413(api, settings):
    settings.INGEST_MAX_BODY_BYTES = 2048
    assert_problem(api.post(URL, make_batch(40)), 413)
    assert_nothing_written()


def test_wrong_content_type_is_415(api):
    payload = json.dumps(make_batch(1))
    assert_problem(api.post(URL, raw=payload, content_type="text/plain"), 415)
    assert_problem(
        api.post(URL, raw=payload, content_type="application/x-www-form-urlencoded"), 415
    )
    assert_nothing_written()


def test_huge_string_fields_rejected_not_crashed(api):
    payload = make_batch(1)
    payload["transactions"][0]["transaction_id"] = "t" * 100_000
    payload["accounts"][0]["name"] = "n" * 100_000
    body = assert_problem(api.post(URL, payload), 400)
    assert {"/transactions/0/transaction_id", "/accounts/0/name"} <= pointers(body)
    assert_nothing_written()


def test_error_list_is_bounded(api):
    payload = make_batch(1000, amount="bad")
    body = assert_problem(api.post(URL, payload), 400)
    assert 0 < len(body["errors"]) <= 200
    assert "1000 problem(s)" in body["detail"]


@pytest.mark.parametrize(
    ("where", "key", "value", "detail"),
    [
        ("accounts", "mask", "1" * 33, "Must be at most 32 characters."),
        ("accounts", "type", "t" * 65, "Must be at most 64 characters."),
        ("accounts", "name", None, "This field is required."),
        ("transactions", "transaction_id", "t" * 256, "Must be at most 255 characters."),
        # Past INGEST_MAX_STRING_LENGTH, that limit is the one named.
        ("transactions", "transaction_id", "t" * 2000, "Must be at most 1024 characters."),
        ("transactions", "transaction_id", " \t", "Must not be blank."),
        ("transactions", "merchant_name", "a\x00b", "Must not contain NUL characters."),
        ("transactions", "payment_channel", "p" * 65, "Must be at most 64 characters."),
        ("transactions", "payment_channel", 5, "Must be a string."),
        (
            "transactions",
            "iso_currency_code",
            "usd",
            "Must be an ISO 4217 currency code, e.g. USD.",
        ),
        ("transactions", "pending", "no", "Must be true or false."),
        ("transactions", "date", 20251030, "Must be an ISO 8601 date or datetime string."),
        ("transactions", "amount", "0", "Must not be zero."),
        ("transactions", "amount", "-1.255", "USD allows at most 2 decimal places."),
    ],
)
def test_each_problem_has_its_detail(api, settings, where, key, value, detail):
    settings.INGEST_MAX_STRING_LENGTH = 1024
    payload = make_batch(1)
    payload[where][0][key] = value
    body = assert_problem(api.post(URL, payload), 400)
    assert body["errors"] == [{"pointer": f"/{where}/0/{key}", "detail": detail}]
    assert_nothing_written()


def test_request_id_and_header_details(api):
    body = assert_problem(api.post(URL, make_batch(1, request_id="k" * 256)), 400)
    assert body["errors"] == [
        {
            "pointer": "/request_id",
            "detail": "Must be a non-blank string of at most 255 printable characters.",
        }
    ]
    response = api.post(URL, make_batch(1), headers={"Idempotency-Key": "k" * 256})
    assert assert_problem(response, 400)["errors"] == [
        {
            "pointer": "#/headers/Idempotency-Key",
            "detail": "Must be 1 to 255 printable characters, not all blank.",
        }
    ]
    assert_nothing_written()
