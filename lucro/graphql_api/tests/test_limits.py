"""Abusive queries are refused before they run, with BAD_USER_INPUT."""

from __future__ import annotations

from lucro.graphql_api import limits
from lucro.graphql_api.tests.conftest import URL, codes, gql
from lucro.testing import ApiClient


def _refused(api: ApiClient, query: str, variables=None, status: int = 400) -> str:
    got, body = gql(api, query, variables)
    assert got == status, body
    assert set(codes(body)) == {"BAD_USER_INPUT"}, body
    return body["errors"][0]["message"]


def test_depth(api: ApiClient, settings) -> None:
    level = "account {{ transactions(first: 1) {{ nodes {{ {} }} }} }}"
    deep = "id"
    for _ in range(4):
        deep = level.format(deep)
    deep = f'{{ transaction(id: "x") {{ {deep} }} }}'
    assert "depth" in _refused(api, deep)
    settings.GRAPHQL_MAX_DEPTH = 3
    assert "depth" in _refused(api, "{ transactions { nodes { category { primary { slug } } } } }")


def test_page_size(api: ApiClient) -> None:
    status, body = gql(api, "{ transactions(first: 501) { nodes { id } } }")
    assert status == 200
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["errors"] == [
        {"pointer": "/first", "detail": "first must be an integer from 1 to 500."}
    ]
    assert codes(gql(api, "{ accounts(first: 0) { nodes { id } } }")[1]) == ["BAD_USER_INPUT"]
    assert codes(gql(api, '{ transactions(after: "bogus") { nodes { id } } }')[1]) == [
        "BAD_USER_INPUT"
    ]


def test_aliases(api: ApiClient) -> None:
    many = " ".join(f"a{i}: organization {{ name }}" for i in range(limits.MAX_ALIASES + 1))
    assert "aliases" in _refused(api, f"{{ {many} }}")
    few = " ".join(f"a{i}: organization {{ name }}" for i in range(3))
    assert gql(api, f"{{ {few} }}")[0] == 200


def test_node_count(api: ApiClient) -> None:
    query = (
        "query($n: Int) { accounts(first: 100) "
        "{ nodes { transactions(first: $n) { nodes { id } } } } }"
    )
    message = _refused(api, query, {"n": 101})
    assert "nodes" in message
    assert gql(api, query, {"n": 99})[0] == 200
    fragment = """query { ...A } fragment A on Query { accounts(first: 50) { nodes { ...T } } }
      fragment T on Account { transactions(first: 500) { nodes { id } } }"""
    assert "nodes" in _refused(api, fragment)


def test_query_size(api: ApiClient) -> None:
    padding = " " * limits.MAX_QUERY_BYTES
    assert "bytes" in _refused(api, "{ organization { name } }" + padding)
    response = api.post(URL, raw=b"{" + b" " * limits.MAX_BODY_BYTES + b"}")
    assert response.status_code == 413
    assert codes(response.json()) == ["BAD_USER_INPUT"]


def test_introspection_can_be_switched_off(api: ApiClient, settings) -> None:
    settings.GRAPHQL_INTROSPECTION = True
    assert gql(api, "{ __schema { queryType { name } } }")[0] == 200
    settings.GRAPHQL_INTROSPECTION = False
    assert "introspection" in _refused(api, "{ __schema { queryType { name } } }").lower()
