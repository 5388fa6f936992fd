"""Values the registry cannot store are refused by validate, at the field, by every layer.

The registry's token-count columns are 32-bit INTEGER, its prices doubles and its names
VARCHAR(n); a value outside them used to validate and plan, then fail in apply. The compiled
pre-check, jsonschema and pydantic must agree on where the limits are.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from reconciler.catalog import spec
from reconciler.catalog.schema import document_validator, fast_check
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Diagnostic

PROPS = settings(max_examples=60, deadline=None)
INT32_MAX = spec.INT32_MAX
DOCUMENT = TypeAdapter[Any](spec.CatalogDocument)
BASE = {
    "kind": "Model",
    "display_name": "M",
    "deployment": "custom",
    "provider": "openai",
    "model_id": "m",
    "context_window": 1000,
}


def _yaml_number(x: int | float) -> str:
    """How a catalog author writes the number (YAML has .nan and .inf, not nan and inf)."""
    if isinstance(x, float) and math.isnan(x):
        return ".nan"
    if isinstance(x, float) and math.isinf(x):
        return ".inf" if x > 0 else "-.inf"
    return repr(x)


def _validate(lines: str) -> list[Diagnostic]:
    """validate a one-model catalog whose model ends with ``lines``."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_text(
            "kind: Model\ndisplay_name: M\ndeployment: custom\nprovider: openai\nmodel_id: m\n"
            + lines
            + "---\nkind: Settings\ndefault_model: m\n"
        )
        return validate_catalog(tmp).diagnostics


def _layers(doc: dict[str, Any]) -> tuple[bool, bool, bool]:
    """Whether the pre-check, jsonschema and pydantic each accept ``doc``."""
    quick = fast_check()
    assert quick is not None
    try:
        DOCUMENT.validate_python(doc)
        typed = True
    except ValidationError:
        typed = False
    return quick(doc), document_validator().is_valid(doc), typed


int_edges = st.sampled_from([0, 1, INT32_MAX - 1, INT32_MAX, INT32_MAX + 1, 2**63, 10**23])


@PROPS
@given(st.integers() | int_edges, st.sampled_from(["context_window", "max_output_tokens"]))
def test_token_counts_fit_the_registry_columns(n: int, field: str) -> None:
    ok = 1 <= n <= INT32_MAX
    doc = {**BASE, "context_window": INT32_MAX, field: n}
    assert _layers(doc) == (ok, ok, ok)
    if field == "context_window":
        found, line = _validate(f"context_window: {n}\n"), 6
    else:
        found, line = _validate(f"context_window: {INT32_MAX}\nmax_output_tokens: {n}\n"), 7
    if ok:
        assert found == []
    else:
        assert [(d.line, d.column, d.code) for d in found] == [
            (line, len(field) + 3, "invalid-value")
        ]
        expected = "at most 2147483647" if n > INT32_MAX else "greater than 0"
        assert found[0].message.startswith(f"{field}: must be ")
        assert expected in found[0].message


non_finite = st.sampled_from([math.nan, math.inf, -math.inf])


@PROPS
@given(
    st.floats() | non_finite | st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["input_per_token", "output_per_token"]),
)
def test_prices_are_finite_and_not_negative(x: float, field: str) -> None:
    ok = math.isfinite(x) and x >= 0
    assert _layers({**BASE, "cost": {field: x}}) == (ok, ok, ok)
    found = _validate(f"context_window: 1000\ncost:\n  {field}: {_yaml_number(x)}\n")
    if ok:
        assert found == []
        return
    # the field's own line and column, named, whatever the reason
    assert [(d.line, d.column, d.code) for d in found] == [(8, len(field) + 5, "invalid-value")]
    assert found[0].message.startswith(f"cost.{field}: must be ")
    if not math.isfinite(x):
        assert "must be a finite number, not " in found[0].message


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (".nan", "NaN (.nan)"),
        (".NaN", "NaN (.nan)"),
        (".inf", "infinity"),
        ("-.Inf", "-infinity"),
        ("1e400", "infinity"),
        ("1" + "0" * 400, "a number this large"),
    ],
)
def test_non_finite_price_message(value: str, shown: str) -> None:
    found = _validate(f"context_window: 1000\ncost:\n  input_per_token: {value}\n")
    assert [(d.line, d.column, d.message) for d in found] == [
        (
            8,
            20,
            f"cost.input_per_token: must be a finite number, not {shown}; expected: USD per "
            "input token (e.g. 3e-6 for $3 per 1M).",
        )
    ]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_token_count_is_not_a_whole_number(value: str) -> None:
    found = _validate(f"context_window: {value}\n")
    assert [(d.line, d.column, d.code) for d in found] == [(6, 17, "invalid-value")]
    assert found[0].message.startswith("context_window: must be a whole number, not ")


@PROPS
@given(st.integers(1, INT32_MAX), st.integers(1, INT32_MAX))
def test_max_output_tokens_at_most_context_window(context: int, limit: int) -> None:
    found = _validate(f"context_window: {context}\nmax_output_tokens: {limit}\n")
    if limit <= context:
        assert found == []
        return
    assert [(d.line, d.column, d.code) for d in found] == [(7, 20, "max-output-exceeds-context")]
    assert found[0].message == (
        f"max_output_tokens ({limit}) is greater than context_window ({context}); a reply "
        "cannot be longer than the context window: lower max_output_tokens or correct "
        "context_window"
    )


@PROPS
@given(
    st.integers(1, 400),
    st.sampled_from([("display_name", 255), ("slug", 255), ("model_id", 255), ("provider", 64)]),
)
def test_strings_fit_the_registry_columns(n: int, field_limit: tuple[str, int]) -> None:
    """PostgreSQL refuses a value longer than its VARCHAR column in apply; validate says so."""
    field, limit = field_limit
    value = "a" * n
    ok = n <= limit
    assert _layers({**BASE, field: value}) == (ok, ok, ok)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_text(
            "\n".join(f"{k}: {value if k == field else v}" for k, v in {**BASE, field: 0}.items())
            + "\n"
        )
        found = [d for d in validate_catalog(tmp).diagnostics if d.code == "invalid-value"]
    if ok:
        assert found == []
    else:
        assert [d.message for d in found] == [
            f"{field}: must be at most {limit} characters (the registry's limit)"
        ]


def test_derived_slug_longer_than_the_column() -> None:
    """NFKD can lengthen a display name ('㎒' is 'MHz'): 100 characters make a 300-long slug."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.yaml").write_text(
            "kind: Model\ndisplay_name: " + "\u3392" * 100 + "\ndeployment: custom\n"
            "provider: openai\nmodel_id: m\ncontext_window: 1000\n"
        )
        found = validate_catalog(tmp).diagnostics
    assert [(d.line, d.column, d.code) for d in found if d.code == "slug-too-long"] == [
        (2, 15, "slug-too-long")
    ]
    (problem,) = [d for d in found if d.code == "slug-too-long"]
    assert problem.message == (
        "the slug derived from this display_name has 300 characters, over the registry's 255; "
        "set a shorter 'slug'"
    )
