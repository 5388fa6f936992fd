"""Values as the plan renderers show them (reconciler.render.values): table-driven."""

from __future__ import annotations

import pytest

from reconciler.render.values import format_value, per_million


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "(none)"),
        (True, "true"),
        (False, "false"),
        (128000, "128000"),
        (3e-06, "3e-06"),
        ("gpt-4o", "gpt-4o"),
        ("two words", "two words"),
        ("", '""'),
        (" padded", '" padded"'),
        ("true", '"true"'),
        ("42", '"42"'),
        ("(none)", '"(none)"'),
        ("a -> b", '"a -> b"'),
        ("line1\nline2", '"line1\\nline2"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("\x1b[31mred", '"\\u001b[31mred"'),
        ({"b": 1, "a": [True, None]}, '{"a": [true, null], "b": 1}'),
    ],
)
def test_format_value(value: object, expected: str) -> None:
    assert format_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3e-06, "$3.00"),
        (2.5e-06, "$2.50"),
        (1.5e-05, "$15.00"),
        (0.0, "$0.00"),
        (1.5e-08, "$0.015"),
        (None, None),
        (True, None),
        ("3e-06", None),
    ],
)
def test_per_million(value: object, expected: str | None) -> None:
    assert per_million(value) == expected
