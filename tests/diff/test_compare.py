"""compare: two environments' catalogs through the plan's diff engine."""

from __future__ import annotations

import json
from pathlib import Path

from engine_helpers import cli

from reconciler.diff.compare import compare
from reconciler.plan.model import Action
from reconciler.state.desired import load_desired

EXAMPLE = Path(__file__).parents[2] / "catalog"


def test_same_catalog_has_no_differences() -> None:
    staging = load_desired(EXAMPLE, "staging")
    assert compare(staging, staging).changes == []


def test_staging_to_production() -> None:
    plan = compare(load_desired(EXAMPLE, "staging"), load_desired(EXAMPLE, "production"))
    changes = {(c.kind.value, c.key): c for c in plan.changes}
    assert {k: c.action for k, c in changes.items()} == {
        ("credential", "prod-openai"): Action.UPDATE,
        ("model", "gpt-4o"): Action.UPDATE,
        ("model", "gpt-5-5"): Action.UPDATE,
        ("model", "gpt-4-1-mini"): Action.DEACTIVATE,
    }
    gpt4o = changes[("model", "gpt-4o")].fields["max_output_tokens"]
    assert (gpt4o.before, gpt4o.after) == (16384, 8192)
    assert plan.notes == []  # secrets are compared by reference: nothing left unknown
    assert plan.compared == ("staging", "production")


def test_cli_text_and_json() -> None:
    text = cli(["compare", "base", "production", "--catalog", str(EXAMPLE)])
    assert text.exit_code == 2, text.output
    assert text.output.startswith("Comparing base -> production\n")
    assert "max_output_tokens: 16384 -> 8192" in text.output
    assert "env OPENAI_API_KEY -> env PRODUCTION_OPENAI_API_KEY" in text.output
    same = cli(["compare", "staging", "staging", "--catalog", str(EXAMPLE)])
    assert same.exit_code == 0
    data = json.loads(
        cli(["compare", "staging", "base", "--catalog", str(EXAMPLE), "--format", "json"]).output
    )
    assert (data["from"], data["to"]) == ("staging", "base")
    unknown = cli(["compare", "staging", "qa", "--catalog", str(EXAMPLE)])
    assert unknown.exit_code == 1
    assert "unknown environment 'qa'" in unknown.output
