"""Property tests: the loader and the checks never raise, whatever the input."""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.catalog import rules
from reconciler.catalog.load import load_catalog
from reconciler.catalog.schema import document_validator, fast_check
from reconciler.catalog.yamlio import load_text

REPO = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# YAML 1.2 exponent floats ('3e-6') are numbers for our loader, strings for yaml.safe_load
_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")

keys = st.text(max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30).filter(lambda s: not _EXPONENT.match(s))
)
structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)
yamlish = st.lists(
    st.sampled_from([*"abc019 :-[]{},'\"&*!|>#?%@`\t\n.\\<", "\n  ", "\n- ", "<<: ", "---\n"]),
    max_size=80,
).map("".join)


def _validate_dir(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        catalog = load_catalog(tmp)
        diagnostics = [*catalog.diagnostics, *rules.check(catalog)]
        for d in diagnostics:
            assert d.path.startswith(Path(tmp).as_posix())
            assert d.line >= 0
            assert d.column >= 0


@FAST
@given(st.text(max_size=300))
def test_load_text_never_raises_on_random_text(text: str) -> None:
    result = load_text(text, "random.yaml")
    assert all(d.path == "random.yaml" for d in result.diagnostics)


@FAST
@given(yamlish)
def test_load_text_never_raises_on_yaml_like_text(text: str) -> None:
    result = load_text(text, "y.yaml")
    for doc in result.documents:
        doc.locate(["a", 0, "b"])


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), yamlish)
def test_load_catalog_and_rules_never_raise(data: bytes, text: str) -> None:
    _validate_dir({"a.yaml": data, "b.yaml": text.encode("utf-8", "surrogatepass")})


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@FAST
@given(structures)
def test_safe_dump_round_trips_like_safe_load(value: Any) -> None:
    text = yaml.safe_dump(value)
    loaded = load_text(text, "rt.yaml")
    assert loaded.diagnostics == []
    assert len(loaded.documents) == 1
    assert _same(loaded.documents[0].data, yaml.safe_load(text))


@FAST
@given(structures, st.lists(st.tuples(st.integers(0, 10_000), st.text(max_size=3)), max_size=4))
def test_mutated_dumps_never_raise(value: Any, edits: list[tuple[int, str]]) -> None:
    text = yaml.safe_dump(value)
    for at, insert in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + 1 :]
    load_text(text, "m.yaml")
    _validate_dir({"m.yaml": text.encode("utf-8", "surrogatepass")})


paths = st.lists(st.text(max_size=8) | st.integers(-3, 10), max_size=6)


@FAST
@given(structures, paths, st.booleans())
def test_locate_never_raises(value: Any, where: list[str | int], key: bool) -> None:
    loaded = load_text(yaml.safe_dump(value), "l.yaml")
    line, col = loaded.documents[0].locate(where, key=key)
    assert line >= 1
    assert col >= 1


# --- the compiled pre-check never accepts what jsonschema rejects --------------------------

_EXAMPLES = [
    doc.data
    for path in sorted((REPO / "catalog").rglob("*.yaml"))
    if "environments" not in path.relative_to(REPO / "catalog").parts  # overlays: partial
    for doc in load_text(path.read_text("utf-8"), str(path)).documents
]
_FIELDS = sorted({k for d in _EXAMPLES for k in d} | {"bogus", "api_key", "region", "slug"})
values = structures | st.sampled_from(
    ["openai", "bedrock", "huggingface", "2025-02-30", "-1", "a/b", "", "Model"]
)
# the edges of the number checks: finite doubles, the registry's 32-bit INTEGER columns
numbers = st.sampled_from(
    [math.nan, math.inf, -math.inf, 0, -0.0, 2**31 - 1, 2**31, 2**63, 10**400, 1e308, 5e-324]
)
# ... and of the registry's VARCHAR columns
long_strings = st.sampled_from(["a" * 64, "a" * 65, "a" * 255, "a" * 256])
nested_keys = keys | st.sampled_from(["input_per_token", "output_per_token", "json_mode"])


def test_example_documents_pass_the_pre_check() -> None:
    quick = fast_check()
    assert quick is not None, "the compiled pre-check no longer covers the published schemas"
    assert len(_EXAMPLES) >= 15
    assert all(quick(d) for d in _EXAMPLES)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(_EXAMPLES),
    st.lists(
        st.tuples(st.sampled_from(_FIELDS), values | numbers | long_strings | st.just(KeyError)),
        max_size=3,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["capabilities", "cost", "api_key"]), nested_keys, values | numbers
        )
    ),
)
def test_pre_check_agrees_with_jsonschema(
    base: dict[str, Any],
    top: list[tuple[str, Any]],
    nested: list[tuple[str, str, Any]],
) -> None:
    doc = dict(base)
    for field, value in top:
        if value is KeyError:
            doc.pop(field, None)
        else:
            doc[field] = value
    for parent, field, value in nested:
        if isinstance(doc.get(parent), dict):
            doc[parent] = {**doc[parent], field: value}
    quick = fast_check()
    assert quick is not None
    if quick(doc):
        assert document_validator().is_valid(doc), doc


def test_pre_check_rejects_every_schema_invalid_corpus_document() -> None:
    quick = fast_check()
    assert quick is not None
    rejected = 0
    for path in sorted((Path(__file__).parent / "corpus").rglob("*.yaml")):
        for doc in load_text(path.read_text("utf-8"), str(path)).documents:
            if not document_validator().is_valid(doc.data):
                assert not quick(doc.data), path
                rejected += 1
    assert rejected >= 8


# --- characters YAML does not allow: named and located --------------------------------------

_CONTROLS = st.sampled_from(
    [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x80, 0x9B, 0x9F]]
)


@FAST
@given(structures, st.integers(0, 10_000), _CONTROLS)
def test_control_character_is_named_and_located(value: Any, at: int, ch: str) -> None:
    text = yaml.safe_dump(value)  # ASCII: every other character is allowed
    at %= len(text) + 1
    text = text[:at] + ch + text[at:]
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    result = load_text(text, "c.yaml")
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [
        ("control-character", line, col)
    ]
    assert f"U+{ord(ch):04X}" in result.diagnostics[0].message
    assert ch not in result.diagnostics[0].message


_BOOLEAN_WORDS = [
    w
    for word in ("true", "false", "yes", "no", "on", "off", "y", "n")
    for w in (word, word.capitalize(), word.upper())
]


@pytest.mark.parametrize("word", _BOOLEAN_WORDS)
def test_only_yaml_1_2_booleans_are_booleans(word: str) -> None:
    """As editors and check-jsonschema read them: yes/no/on/off are text in YAML 1.2."""
    (doc,) = load_text(f"v: {word}\n", "b.yaml").documents
    if word.lower() in ("true", "false"):
        assert doc.data == {"v": word.lower() == "true"}
    else:
        assert doc.data == {"v": word}
