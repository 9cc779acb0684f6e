"""The bounded JSON parser: depth measured before decoding, malformed bodies are a 400."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucro.core.parsers import JSON_MAX_DEPTH, json_depth
from lucro.testing import ApiClient

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9\x01'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=3), children, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_json_depth_is_exact_for_valid_json(value: Any, ascii_only: bool) -> None:
    # Brackets and escaped quotes inside strings must not count.
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert json_depth(body) == _depth(value)


@pytest.mark.parametrize(
    "body",
    [
        b'"' + b'\\"' * 500_000,  # one unterminated string of escaped quotes
        b'"' * 1_000_000,  # a million empty or unterminated strings
        b'"\\' * 500_000,
        b"[" * 1_000_000,
    ],
)
def test_json_depth_is_linear_on_adversarial_bodies(body: bytes) -> None:
    started = time.perf_counter()
    json_depth(body)
    # Linear: ≈ 0.1 s for a megabyte even on a loaded machine; a quadratic scan of these
    # bodies would take hours.
    assert time.perf_counter() - started < 5


RULE_TEST = "/api/v1/rules/test/"


def _nested(depth: int) -> bytes:
    return b'{"description": "coffee", "amount": "-5", "x": ' + b"[" * depth + b"]" * depth + b"}"


def _malformed(response: Any) -> str:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://lucro.dev/problems/malformed-body"
    return str(problem["detail"])


def test_deep_json_is_a_400_problem_on_every_drf_endpoint(api: ApiClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for method, path in [
        ("post", "/api/v1/rules/"),
        ("post", RULE_TEST),
        ("post", "/api/v1/categorisation/rerun/"),
        ("patch", "/api/v1/transactions/0190a0b8-7c7e-7000-8000-000000000000/"),
    ]:
        response = api.client.generic(
            method.upper(),
            path,
            data=deep,
            content_type="application/json",
            headers={"Authorization": f"Token {api.key}"},
        )
        assert "nests deeper than 64" in _malformed(response), path


def test_the_depth_limit_is_exact(api: ApiClient) -> None:
    # The limit counts the outer object: 63 more levels inside it are fine.
    inside = JSON_MAX_DEPTH - 1
    assert api.post(RULE_TEST, raw=_nested(inside)).status_code == 200
    assert "nests deeper" in _malformed(api.post(RULE_TEST, raw=_nested(inside + 1)))


@pytest.mark.parametrize(
    "body",
    [
        b'{"description": "caf\xe9", "amount": "-5"}',  # Latin-1, not UTF-8
        b'{"description": "\xed\xa0\x80", "amount": "-5"}',  # an encoded surrogate
        b'{"description": "\\ud800", "amount": "-5"}',  # a lone escaped surrogate
        b'{"description": "coffee", "amount": NaN}',
        b'{"description": "coffee", "amount": 1e999}',
        b'{"description": "a\x01", "amount": "-5"}',
        b"\xef\xbb\xbf{}",
        b"  ",
    ],
)
def test_malformed_bodies_are_a_400_problem(api: ApiClient, body: bytes) -> None:
    _malformed(api.post(RULE_TEST, raw=body))


def test_a_declared_text_charset_is_honoured(api: ApiClient) -> None:
    # The test client encodes a str body in the declared charset.
    body = '{"description": "café", "amount": "-5"}'
    response = api.post(RULE_TEST, raw=body, content_type="application/json; charset=latin-1")
    assert response.status_code == 200, response.content
    # A byte codec would inflate the body past the size check: refused (the test client
    # would apply it to the body, so the header is set beneath it).
    refused = api.client.post(
        RULE_TEST,
        data=b"{}",
        content_type="application/json",
        headers={"Authorization": f"Token {api.key}"},
        CONTENT_TYPE="application/json; charset=bz2_codec",
    )
    assert "charset" in _malformed(refused)
