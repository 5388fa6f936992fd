"""``fix_text``: where a missing cost block goes, byte for byte."""

from __future__ import annotations

import pytest

from reconciler.diagnostics import Diagnostic
from reconciler.lint.fix import fix_text
from reconciler.lint.rules import CostFix

HEAD = """kind: Model
display_name: GPT 4o
deployment: custom
provider: openai
model_id: gpt-4o
context_window: 128000
"""
COST = "cost:\n  input_per_token: 2.5e-06\n  output_per_token: 1e-05\n"
FINDING = Diagnostic("m.yaml", 1, 1, "cost-missing", "cost is not set")
FIXES = [
    CostFix("m.yaml", 0, "input_per_token", 2.5e-06, FINDING),
    CostFix("m.yaml", 0, "output_per_token", 1e-05, FINDING),
]


@pytest.mark.parametrize(
    ("tail", "fixed_tail"),
    [
        # a flow mapping closing on a later line than its last value: after the bracket
        (
            "capabilities: {json_mode: true,\n  vision: true\n  }\n",
            "capabilities: {json_mode: true,\n  vision: true\n  }\n" + COST,
        ),
        # a block sequence, then a comment: right after the sequence, before the comment
        (
            "previous_slugs:\n  - a\n  - b\n\n# the end\n",
            "previous_slugs:\n  - a\n  - b\n" + COST + "\n# the end\n",
        ),
        (
            "previous_slugs:\n- a\n- b\n# the end",
            "previous_slugs:\n- a\n- b\n" + COST + "# the end",
        ),
        # a nested mapping, then a comment
        (
            "capabilities:\n  vision: true\n# the end\n",
            "capabilities:\n  vision: true\n" + COST + "# the end\n",
        ),
        ("enabled: true", "enabled: true\n" + COST),
    ],
)
def test_a_missing_cost_block_follows_the_last_value(tail: str, fixed_tail: str) -> None:
    assert fix_text(HEAD + tail, "m.yaml", FIXES) == HEAD + fixed_tail
