"""Encrypted account numbers (SPEC §10): accepted, stored only encrypted, never shown.

What must hold: a number sent through the API is in no answer, log line, admin page or
error, and not in the raw database (the SQLite file and WAL, a PostgreSQL dump), where its
ciphertext is; keys rotate (A, then B first, rotate, A removed: all still readable); a
missing or wrong key is a loud error, never ciphertext or a silent fall-back.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import structlog
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from lucro.core import crypto
from lucro.enrichment import tasks
from lucro.ingestion import payload, transitions
from lucro.ingestion.contract import ACCOUNT_NUMBER_PATTERN
from lucro.ingestion.models import Account
from lucro.ingestion.selectors import accounts_under_old_keys
from lucro.ingestion.tests.test_one_owner import _strangers, writes  # noqa: F401 (a fixture)
from lucro.ops.management.commands import rotate_field_keys
from lucro.testing import ApiClient, make_batch

URL = "/api/v1/integrations/transactions/"
POINTER = "/accounts/0/account_number"
IBAN = "GB82WEST12345698765432"
IBAN_PRINTED = "GB82 WEST 1234 5698 7654 32"
# What must never be found: the number as stored, as sent, and its digits alone.
TRACES = (IBAN, IBAN_PRINTED, IBAN.lower(), "12345698765432")
ROOT = Path(__file__).resolve().parents[3]

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_C = Fernet.generate_key().decode()


def with_number(number: Any, *, mask: Any = None, account_id: str = "acc_1", **kw: Any) -> dict:
    """Return a one-transaction batch whose account sends ``number`` (and ``mask``)."""
    data = make_batch(1, account_id=account_id, **kw)
    account = data["accounts"][0]
    account.pop("mask")
    if mask is not None:
        account["mask"] = mask
    if number is not None:
        account["account_number"] = number
    return data


def assert_no_trace(text: str, *traces: str) -> None:
    for trace in traces or TRACES:
        assert trace not in text


@pytest.fixture
def no_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep committed batches out of the broker (transactional tests commit them)."""
    monkeypatch.setattr(tasks, "_send_batch", lambda batch_id: None)


@contextmanager
def rendered_logs() -> Iterator[io.StringIO]:
    """Capture every log line as the project renders it (structlog and the stdlib alike)."""
    root = logging.getLogger()
    formatter = next(
        h.formatter
        for h in root.handlers
        if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- Validation ---------------------------------------------------------------------------

# (value, what the detail says, a part of the value that must not be echoed)
INVALID = [
    pytest.param("X9Q", "at least 4", "X9Q", id="too-short"),
    pytest.param("  ", "at least 4", None, id="blank"),
    pytest.param("", "at least 4", None, id="empty"),
    pytest.param(IBAN + "ABCDEFGHIJKLMN", "at most 34", "WEST1234", id="too-long"),
    pytest.param("GB82-WEST-1234", "only letters", "WEST", id="hyphens"),
    pytest.param("ÄB1234567", "only letters", "1234567", id="non-ascii"),
    # Upper-cased, "ß" would be "SS": checked before, so it is not four letters.
    pytest.param("ßßßß", "only letters", "ß", id="sharp-s"),
    pytest.param("GB82WEST1234\n", "only letters", "WEST1234", id="newline"),
    pytest.param("GB82\tWEST1234", "only letters", "WEST1234", id="tab"),
    pytest.param(98765432, "Must be a string", "98765432", id="integer"),
    pytest.param(["GB82WEST1234"], "Must be a string", "WEST1234", id="list"),
    pytest.param({"n": "GB82WEST1234"}, "Must be a string", "WEST1234", id="object"),
]


@pytest.mark.parametrize(("value", "detail", "secret"), INVALID)
def test_an_invalid_number_is_a_400_at_its_pointer_without_its_value(
    api: ApiClient, value: Any, detail: str, secret: str | None
) -> None:
    body = json.dumps(with_number(value)).encode()
    assert payload._parse_fast(body, 10, 1024, None) is None
    response = api.post(URL, raw=body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["pointer"] for e in errors] == [POINTER]
    assert detail in errors[0]["detail"]
    if secret is not None:
        assert secret not in response.content.decode()
        assert json.dumps(secret)[1:-1] not in response.content.decode()  # nor escaped
    assert not Account.objects.exists()


def test_a_malformed_body_does_not_quote_the_number(api: ApiClient) -> None:
    body = json.dumps(with_number(IBAN)).encode()
    for broken in (body[: body.index(IBAN.encode()) + 10], body.replace(b'",', b"',", 1)):
        response = api.post(URL, raw=broken)
        assert response.status_code == 400
        assert_no_trace(response.content.decode(), IBAN, IBAN[:10])


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (IBAN_PRINTED, IBAN),
        ("gb82 west 1234 5698 7654 32", IBAN),
        ("  0712345678  ", "0712345678"),
        ("A1B2", "A1B2"),
        ("9" * 34, "9" * 34),
        (
            "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4",
            "1234567890" * 3 + "1234",
        ),
    ],
)
def test_spaces_are_ignored_and_letters_upper_cased(api: ApiClient, sent: str, stored: str) -> None:
    body = json.dumps(with_number(sent)).encode()
    fast = payload._parse_fast(body, 10, 1024, None)
    assert fast is not None and fast.accounts[0].account_number == stored
    assert api.post(URL, raw=body).status_code == 202
    assert Account.objects.get().account_number() == stored


def test_the_schema_pattern_is_the_checkers() -> None:
    """The OpenAPI pattern accepts exactly what both passes accept."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    prop = schema["components"]["schemas"]["AccountInRequest"]["properties"]["account_number"]
    assert prop["pattern"] == ACCOUNT_NUMBER_PATTERN
    assert prop["nullable"] is True
    assert "account_number" not in schema["components"]["schemas"]["AccountInRequest"].get(
        "required", []
    )
    samples = [IBAN, IBAN_PRINTED, "abcd", " a b c d ", "abc", "a" * 35, "ab-cd", "ÄBCD", "ab\ncd"]
    for sample in samples:
        accepted = payload.account_number_normal(sample) is not None
        assert bool(re.fullmatch(prop["pattern"], sample)) is accepted, sample
        body = json.dumps(with_number(sample)).encode()
        assert (payload._parse_fast(body, 10, 1024, None) is not None) is accepted, sample


def test_the_parsed_row_never_shows_the_number() -> None:
    body = json.dumps(with_number(IBAN)).encode()
    parsed = payload.parse_batch(body, max_transactions=10, max_string=1024, header_key=None)
    account = parsed.accounts[0]
    assert account.account_number == IBAN
    assert_no_trace(repr(account))
    assert_no_trace(f"{parsed}")


# --- Mask and upserts ---------------------------------------------------------------------


def test_mask_defaults_to_the_last_four_and_an_explicit_one_is_kept(api: ApiClient) -> None:
    assert api.post(URL, with_number(IBAN_PRINTED)).status_code == 202
    assert Account.objects.get(account_id="acc_1").mask == "5432"
    sent = with_number(IBAN, mask="x-99", account_id="acc_2", start=10)
    assert api.post(URL, sent).status_code == 202
    explicit = Account.objects.get(account_id="acc_2")
    assert (explicit.mask, explicit.account_number()) == ("x-99", IBAN)


def test_the_thorough_pass_normalises_and_masks_alike() -> None:
    data = with_number(IBAN_PRINTED.lower())
    # Trailing zeros past the currency's places: the fast pass leaves it to the thorough one.
    data["transactions"][0]["amount"] = "-1.250"
    body = json.dumps(data).encode()
    assert payload._parse_fast(body, 10, 1024, None) is None
    parsed = payload.parse_batch(body, max_transactions=10, max_string=1024, header_key=None)
    account = parsed.accounts[0]
    assert (account.mask, account.account_number) == ("5432", IBAN)


def test_re_sending_an_account(api: ApiClient) -> None:
    assert api.post(URL, with_number(IBAN)).status_code == 202
    first = Account.objects.get()
    token = first.account_number_encrypted
    assert token is not None and first.account_number_key == crypto.primary_key_id()

    # The same number again: nothing rewritten (a Fernet token is new at each encryption).
    assert api.post(URL, with_number(IBAN_PRINTED, start=1)).status_code == 202
    again = Account.objects.get()
    assert (again.account_number_encrypted, again.updated_at) == (token, first.updated_at)

    # Neither number nor mask: both kept.
    assert api.post(URL, with_number(None, start=2)).status_code == 202
    kept = Account.objects.get()
    assert (kept.account_number_encrypted, kept.mask) == (token, "5432")

    # Another field changes, no number: the number stays.
    renamed = with_number(None, start=3)
    renamed["accounts"][0]["name"] = "Renamed"
    assert api.post(URL, renamed).status_code == 202
    kept = Account.objects.get()
    assert (kept.name, kept.account_number_encrypted, kept.mask) == ("Renamed", token, "5432")

    # A different number: stored, with its own mask.
    assert api.post(URL, with_number("KE12 0712 3456 78", start=4)).status_code == 202
    changed = Account.objects.get()
    assert changed.account_number() == "KE120712345678"
    assert changed.mask == "5678"


def test_an_account_without_a_number_is_unchanged_by_the_feature(api: ApiClient) -> None:
    assert api.post(URL, make_batch(1)).status_code == 202
    account = Account.objects.get()
    assert (account.mask, account.account_number_encrypted, account.account_number_key) == (
        "1111",
        None,
        None,
    )
    assert account.account_number() is None


# --- Nowhere to be seen -------------------------------------------------------------------


def _sqlite_bytes() -> bytes:
    """Return the test database's file and WAL bytes, and a dump of the account table."""
    raw = connection.connection
    dump = "\n".join(raw.iterdump()).encode()
    name = str(connection.settings_dict["NAME"])
    files = b""
    if not connection.is_in_memory_db():
        for path in (Path(name), Path(name + "-wal")):
            if path.exists():
                files += path.read_bytes()
        assert files, "the test database file must be readable"
        copy = sqlite3.connect(name)
        try:
            dump += "\n".join(copy.iterdump()).encode()
        finally:
            copy.close()
    return files + dump


def _pg_dump(*args: str) -> str:
    """Return ``pg_dump`` of the test database (data only) with ``args``."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = ["pg_dump", "--data-only", "-h", str(db.get("HOST") or "127.0.0.1")]
    command += ["-p", str(db.get("PORT") or 5432), "-U", str(db.get("USER") or "postgres")]
    done = subprocess.run(
        [*command, *args, str(db["NAME"])],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode()


@pytest.mark.django_db(transaction=True)
def test_the_raw_database_holds_the_ciphertext_not_the_number(
    api: ApiClient, no_queue: None
) -> None:
    with rendered_logs() as logs:
        response = api.post(URL, with_number(IBAN_PRINTED))
        assert response.status_code == 202
        # Again (compared by decryption), and a changed account without a number.
        assert api.post(URL, with_number(IBAN, start=1)).status_code == 202
        assert api.post(URL, with_number(None, start=2, name="Other")).status_code == 202
    token = Account.objects.get().account_number_encrypted
    assert token is not None and token.startswith("gAAAAA")
    assert_no_trace(response.content.decode())
    assert "batch_ingested" in logs.getvalue()  # the capture works
    assert_no_trace(logs.getvalue())

    if connection.vendor == "sqlite":
        raw = _sqlite_bytes()
        assert token.encode() in raw
        for trace in TRACES:
            assert trace.encode() not in raw
    else:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        table = _pg_dump("-t", "ingestion_account")
        assert token in table
        assert_no_trace(table)
        assert_no_trace(_pg_dump())  # every table: batches, their stored answers, audit


def test_logs_answers_and_errors_never_show_the_number(api: ApiClient) -> None:
    with rendered_logs() as logs:
        assert api.post(URL, with_number(IBAN)).status_code == 202
        # A rejected batch that also carries a valid number, and one whose number is wrong.
        bad = with_number(IBAN_PRINTED, start=5)
        bad["transactions"][0]["amount"] = "x"
        rejected = api.post(URL, bad)
        assert rejected.status_code == 400
        wrong = api.post(URL, with_number(IBAN + "-", start=6))
        assert wrong.status_code == 400
    for text in (logs.getvalue(), rejected.content.decode(), wrong.content.decode()):
        assert_no_trace(text)


def test_the_admin_shows_the_mask_not_the_number(api: ApiClient, admin_client: Client) -> None:
    assert api.post(URL, with_number(IBAN)).status_code == 202
    account = Account.objects.get()
    token = account.account_number_encrypted
    assert token is not None
    changelist = admin_client.get("/admin/ingestion/account/")
    change = admin_client.get(f"/admin/ingestion/account/{account.pk}/change/")
    for page in (changelist, change):
        assert page.status_code == 200
        text = page.content.decode()
        assert_no_trace(text)
        assert token not in text and token[:40] not in text
        assert "5432" in text  # the mask
        assert "icon-yes" in text  # "has an account number"
    # Saving the form (only mask, name, types are editable) leaves the number alone.
    form = {"name": "Renamed", "type": "depository", "subtype": "checking", "mask": "5432"}
    saved = admin_client.post(f"/admin/ingestion/account/{account.pk}/change/", form)
    assert saved.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.account_number()) == ("Renamed", IBAN)


# --- Keys ---------------------------------------------------------------------------------


def test_an_unrelated_key_is_a_loud_error_not_ciphertext(api: ApiClient, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert api.post(URL, with_number(IBAN)).status_code == 202
    account = Account.objects.get()
    token = account.account_number_encrypted
    assert token is not None
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(crypto.FieldKeyError) as caught:
        account.account_number()
    message = str(caught.value)
    assert crypto.key_id(KEY_A) in message and crypto.key_id(KEY_B) in message
    assert token not in message and token[:20] not in message
    assert KEY_A not in message and KEY_B not in message
    assert_no_trace(message)
    # A tampered token too: authenticated encryption refuses it.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(crypto.FieldKeyError):
        crypto.decrypt(tampered)

    # Through the API: re-sending the number needs the stored one; a 500, the number
    # nowhere, the log says what is wrong.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with rendered_logs() as logs:
        response = api.post(URL, with_number(IBAN, start=1))
    assert response.status_code == 500
    assert "FIELD_ENCRYPTION_KEYS" in logs.getvalue()
    for text in (response.content.decode(), logs.getvalue()):
        assert_no_trace(text)
        assert token not in text


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([], "must be set"),
        (["not-a-key"], "key 1 of 1 is not a Fernet key"),
        ([KEY_A, KEY_A[:-2] + "!="], "key 2 of 2 is not a Fernet key"),
        ([KEY_A + " "], "key 1 of 1"),
        ([KEY_A, KEY_A], "twice"),
    ],
)
def test_missing_or_malformed_keys_refuse_to_encrypt(
    settings: Any, keys: list[str], message: str
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = keys
    with pytest.raises(crypto.FieldKeyError, match=message) as caught:
        crypto.encrypt(IBAN)
    assert all(key.strip() not in str(caught.value) for key in keys)


def test_rotation_a_then_b_then_a_removed(
    api: ApiClient,
    settings: Any,
    writes: list[tuple[str, str]],  # noqa: F811
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    numbers = {f"acc_{i}": f"NL91ABNA04171643{i:02d}" for i in range(5)}
    for i, (account_id, number) in enumerate(numbers.items()):
        assert api.post(URL, with_number(number, account_id=account_id, start=i)).status_code == 202
    assert api.post(URL, make_batch(1, account_id="no_number", start=99)).status_code == 202
    assert set(Account.objects.values_list("account_number_key", flat=True)) == {
        crypto.key_id(KEY_A),
        None,
    }

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    out = io.StringIO()
    call_command("rotate_field_keys", chunk_size=2, stdout=out)
    assert (
        f"Done: 5 account numbers, 0 webhook secrets re-encrypted; every encrypted value is "
        f"under key {crypto.key_id(KEY_B)}"
    ) in out.getvalue()
    assert "2 re-encrypted" in out.getvalue()  # in chunks

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    for account in Account.objects.exclude(account_id="no_number"):
        assert account.account_number_key == crypto.key_id(KEY_B)
        assert account.account_number() == numbers[account.account_id]
    assert Account.objects.get(account_id="no_number").account_number_encrypted is None

    # Run again: nothing to do, nothing written.
    before = dict(Account.objects.values_list("pk", "account_number_encrypted"))
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "Done: 0 account numbers, 0 webhook secrets re-encrypted" in out.getvalue()
    assert dict(Account.objects.values_list("pk", "account_number_encrypted")) == before
    assert_no_trace(out.getvalue(), *numbers.values())
    assert _strangers(writes) == set()


def test_an_interrupted_rotation_resumes(api: ApiClient, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    for i in range(4):
        sent = with_number(f"DE8937040044053201300{i}", account_id=f"acc_{i}", start=i)
        assert api.post(URL, sent).status_code == 202
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    # One chunk commits, then the run "dies".
    chunk = transitions.accounts_reencrypt_chunk(after=None, limit=1)
    assert (chunk.reencrypted, chunk.skipped) == (1, 0)
    keys = list(Account.objects.values_list("account_number_key", flat=True))
    assert sorted(keys) == sorted([crypto.key_id(KEY_B)] + [crypto.key_id(KEY_A)] * 3)
    out = io.StringIO()
    call_command("rotate_field_keys", chunk_size=1, stdout=out)
    assert "Done: 3 account numbers," in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert sorted(a.account_number() or "" for a in Account.objects.all()) == [
        f"DE8937040044053201300{i}" for i in range(4)
    ]


def test_rotation_without_the_old_key_fails_loudly_and_keeps_done_chunks(
    api: ApiClient, settings: Any
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert api.post(URL, with_number(IBAN)).status_code == 202
    token = Account.objects.get().account_number_encrypted
    assert token is not None
    settings.FIELD_ENCRYPTION_KEYS = [KEY_C, KEY_B]  # A forgotten
    with pytest.raises(CommandError) as caught:
        call_command("rotate_field_keys", stdout=io.StringIO())
    assert crypto.key_id(KEY_A) in str(caught.value)
    assert token not in str(caught.value)
    assert_no_trace(str(caught.value))
    assert Account.objects.get().account_number_encrypted == token  # untouched


def test_rotation_reports_rows_it_could_not_take(
    api: ApiClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows a concurrent write held are counted, retried, and fail the run if still left."""
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert api.post(URL, with_number(IBAN)).status_code == 202
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    def always_held(*, after: Any, limit: int) -> crypto.ReencryptChunk:
        if after is not None:
            return crypto.ReencryptChunk(0, None, 0)
        return crypto.ReencryptChunk(0, Account.objects.get().pk, 1)

    monkeypatch.setattr(
        rotate_field_keys,
        "FIELDS",
        (rotate_field_keys.Field("account numbers", always_held, accounts_under_old_keys),),
    )
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with pytest.raises(CommandError, match="0 account numbers re-encrypted, but 1 still under"):
        call_command("rotate_field_keys", stdout=io.StringIO())


@pytest.mark.django_db
def test_rotation_refuses_an_empty_chunk() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rotate_field_keys", "--chunk-size", "0", stdout=io.StringIO())


def test_key_ids_are_short_public_and_distinct() -> None:
    ids = {crypto.key_id(key) for key in (KEY_A, KEY_B, KEY_C)}
    assert len(ids) == 3
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids)
    assert crypto.key_id(KEY_A) not in KEY_A


# --- Start-up -----------------------------------------------------------------------------


def _start(env: dict[str, str], var: Path, code: str = "import config.settings") -> tuple[str, str]:
    """Import the settings with only ``env``; return (stdout, what start-up refused)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "LUCRO_VAR_DIR": str(var), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout, done.stderr if done.returncode else ""


PRODUCTION = {
    "LUCRO_ENV": "production",
    "DEBUG": "False",
    "SECRET_KEY": "s" * 60,
    "JWT_SIGNING_KEY": "j" * 60,
    "DATABASE_URL": "postgres://x@localhost/x",
    "ALLOWED_HOSTS": "lucro.example.com",
}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (None, "FIELD_ENCRYPTION_KEYS must be set"),
        ("", "FIELD_ENCRYPTION_KEYS must be set"),
        ("not-a-fernet-key", "key 1 of 1 is not a Fernet key"),
        (f"{KEY_A},{KEY_B[:20]}", "key 2 of 2 is not a Fernet key"),
    ],
)
def test_production_refuses_to_start_without_proper_keys(
    tmp_path: Path, keys: str | None, message: str
) -> None:
    env = dict(PRODUCTION) if keys is None else {**PRODUCTION, "FIELD_ENCRYPTION_KEYS": keys}
    _, error = _start(env, tmp_path)
    assert "Refusing to start in production" in error and message in error
    if keys:
        assert keys.split(",")[-1] not in error  # a malformed key is not printed either
    assert not (tmp_path / "field-encryption.key").exists()  # no development key made


def test_production_starts_with_keys_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "field-keys"
    secret.write_text(f"{KEY_B}\n{KEY_A}\n")
    probe = "import config.settings as s; print(s.FIELD_ENCRYPTION_KEYS == [%r, %r])"
    out, error = _start(
        {**PRODUCTION, "FIELD_ENCRYPTION_KEYS_FILE": str(secret)},
        tmp_path,
        probe % (KEY_B, KEY_A),
    )
    assert (error, out.strip()) == ("", "True")


def test_development_makes_and_keeps_its_own_key(tmp_path: Path) -> None:
    probe = "import config.settings as s; print(s.FIELD_ENCRYPTION_KEYS[0])"
    first, error = _start({}, tmp_path, probe)
    assert error == ""
    path = tmp_path / "field-encryption.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().strip() == first.strip()
    second, _ = _start({}, tmp_path, probe)
    assert second == first
    _, error = _start({"FIELD_ENCRYPTION_KEYS": "typo"}, tmp_path)
    assert "is not a Fernet key" in error


def test_processes_starting_together_share_one_development_key(tmp_path: Path) -> None:
    path = tmp_path / "field-encryption.key"
    barrier = threading.Barrier(8)
    keys: list[str] = []

    def start() -> None:
        barrier.wait()
        keys.append(crypto.development_key(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(keys) == 8 and len(set(keys)) == 1
    assert crypto.keys_problem(keys[:1]) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["field-encryption.key"]
