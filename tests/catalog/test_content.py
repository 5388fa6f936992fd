"""Checks beyond the schema: credentials in URLs and NUL in strings, never echoing values."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.catalog.content import content_problems, url_credential
from reconciler.catalog.yamlio import load_text

FAST = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://user:sk-abc@gw.example.com/v1", "user name or password"),
        ("https://sk-abc@gw.example.com", "user name or password"),
        ("http://:pw@gw.example.com", "user name or password"),
        ("https://gw.example.com/v1?key=abc", "'key'"),
        ("https://gw.example.com/v1?region=eu&api_key=abc", "'api_key'"),
        ("https://gw.example.com/v1?apikey=abc", "'apikey'"),
        ("https://gw.example.com/v1?API-Key=abc", "'API-Key'"),
        ("https://gw.example.com/v1?token=abc", "'token'"),
        ("https://gw.example.com/v1?access_token=abc", "'access_token'"),
        ("https://gw.example.com/v1?subscription-key=abc", "'subscription-key'"),
        ("https://gw.example.com/v1?client_secret=abc", "'client_secret'"),
        ("https://gw.example.com/v1?password=abc", "'password'"),
        ("https://gw.example.com/v1?sv=2024&sig=abc", "'sig'"),
        ("https://gw.example.com/?X-Amz-Signature=abc", "'X-Amz-Signature'"),
        ("https://gw.example.com/?X-Amz-Security-Token=abc", "'X-Amz-Security-Token'"),
        ("https://gw.example.com/?auth=abc", "'auth'"),
        ("https://gw.example.com/?key=", "'key'"),  # empty still says where a key goes
        ("https://gw.example.com/?%6Bey=abc", "'key'"),  # percent-encoded name
        ("https://gw.example.com/v1?code=CANARY-SECRET-1234", "query parameter 'code'"),
        ("https://gw.example.com/v1?Code=abc&region=eu", "'Code'"),
        ("https://gw.example.com/v1?sas=abc", "'sas'"),
        ("https://gw.example.com/v1?signature=abc", "'signature'"),
        ("https://gw.example.com/#access_token=abc", "fragment parameter 'access_token'"),
        ("https://h/v1?a=1;api_key=abc", "query parameter 'api_key'"),
        ("https://h/v1?api_key%20=abc", "query parameter"),
        ("https://gw.example.com/v1#state=x&token=abc", "fragment parameter 'token'"),
        ("https://gw.example.com/v1?region=eu#code=abc", "fragment parameter 'code'"),
        ("https://gw.example.com/v1#%6Bey=abc", "fragment parameter 'key'"),
        ("https://gw.example.com/v1", None),
        ("https://gw.example.com/v1#section-2", None),
        ("https://gw.example.com/v1?zipcode=1&codec=opus#region=eu", None),
        ("https://gw.example.com/api/v1/@team?region=eu&format=json", None),
        ("https://gw.example.com/v1?keyboard=1&tokens_max=5", None),
        ("https://[::1", None),  # not a URL: the schema reports it
    ],
)
def test_url_credential(url: str, found: str | None) -> None:
    result = url_credential(url)
    if found is None:
        assert result is None
    else:
        assert result is not None
        assert found in result
        assert "abc" not in result


_SECRET_NAMES = st.sampled_from(
    [
        "key",
        "api_key",
        "apiKey",
        "API-KEY",
        "token",
        "access_token",
        "secret",
        "sig",
        "signature",
        "pwd",
        "code",
        "auth",
    ]
)
_PLAIN_NAMES = st.sampled_from(["region", "format", "version", "model", "deployment", "q"])
_VALUES = st.text(min_size=6, max_size=40).map(lambda s: "CANARY" + s)


@FAST
@given(_SECRET_NAMES, _VALUES, st.lists(st.tuples(_PLAIN_NAMES, st.text(max_size=8))))
def test_secret_query_parameter_is_found_and_never_echoed(
    name: str, value: str, others: list[tuple[str, str]]
) -> None:
    params = [f"{n}={quote(v)}" for n, v in others] + [f"{name}={quote(value)}"]
    result = url_credential("https://gw.example.com/v1?" + "&".join(params))
    assert result is not None
    assert "CANARY" not in result
    assert quote(value) not in result


@FAST
@given(_SECRET_NAMES, _VALUES, st.lists(st.tuples(_PLAIN_NAMES, st.text(max_size=8))))
def test_secret_fragment_parameter_is_found_and_never_echoed(
    name: str, value: str, others: list[tuple[str, str]]
) -> None:
    params = [f"{n}={quote(v)}" for n, v in others] + [f"{name}={quote(value)}"]
    result = url_credential("https://gw.example.com/v1?region=eu#" + "&".join(params))
    assert result is not None
    assert "fragment" in result
    assert "CANARY" not in result
    assert quote(value) not in result


@FAST
@given(_VALUES, st.text(max_size=20))
def test_user_info_is_found_and_never_echoed(secret: str, user: str) -> None:
    url = f"https://{quote(user, safe='')}:{quote(secret, safe='')}@gw.example.com/v1"
    result = url_credential(url)
    assert result is not None
    assert "CANARY" not in result


@FAST
@given(st.lists(st.tuples(_PLAIN_NAMES, st.text(max_size=8)), max_size=4))
def test_ordinary_query_strings_pass(params: list[tuple[str, str]]) -> None:
    query = "&".join(f"{n}={quote(v)}" for n, v in params)
    assert url_credential("https://gw.example.com/v1" + ("?" + query if query else "")) is None
    assert url_credential("https://gw.example.com/v1" + ("#" + query if query else "")) is None


# --- NUL ------------------------------------------------------------------------------------

_plain = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "P", "Zs")), max_size=8)
_trees = st.recursive(
    _plain | st.integers() | st.booleans(),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(_plain, kids, max_size=3),
    max_leaves=12,
)


def _insert_nul(tree: Any, choice: list[int]) -> tuple[Any, list[str | int]]:
    """The tree with one string value replaced by one holding NUL, and its path."""
    if isinstance(tree, dict) and tree:
        key = sorted(tree)[choice[0] % len(tree)] if choice else sorted(tree)[0]
        sub, path = _insert_nul(tree[key], choice[1:])
        return {**tree, key: sub}, [key, *path]
    if isinstance(tree, list) and tree:
        i = choice[0] % len(tree) if choice else 0
        sub, path = _insert_nul(tree[i], choice[1:])
        return [*tree[:i], sub, *tree[i + 1 :]], [i, *path]
    return "a\x00b", []


@FAST
@given(st.dictionaries(_plain, _trees, min_size=1, max_size=4), st.lists(st.integers(0, 9)))
def test_every_nul_is_found_where_it_is(data: dict[str, Any], choice: list[int]) -> None:
    changed, path = _insert_nul(data, choice)
    (doc,) = load_text(
        json.dumps(changed, ensure_ascii=False), "n.yaml"
    ).documents  # JSON writes NUL as \u0000
    problems = content_problems(doc)
    assert [(key, d.code) for key, d in problems] == [(path[0], "nul-character")]
    assert (problems[0][1].line, problems[0][1].column) == doc.locate(path)
    (clean,) = load_text(json.dumps(data, ensure_ascii=False), "c.yaml").documents
    assert content_problems(clean) == []
