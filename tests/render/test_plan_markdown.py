from __future__ import annotations

import re

import pytest
from plans import CANARY, PLANS, canary_plan, check_golden, full_plan

from reconciler.plan.model import Action, Change, FieldChange, Kind, Plan
from reconciler.render.plan_markdown import md_code, md_text, render_markdown


@pytest.mark.parametrize("name", sorted(PLANS))
def test_markdown_matches_golden(name: str) -> None:
    check_golden(f"{name}.md", render_markdown(PLANS[name]()))


def test_starts_with_the_marker_and_is_stable() -> None:
    out = render_markdown(full_plan())
    assert out.startswith("<!-- reconciler-plan -->\n")
    assert render_markdown(full_plan()) == out


def test_problems_come_before_the_tables() -> None:
    out = render_markdown(PLANS["blocked"]())
    first_table = out.index("| | create |")
    assert out.index("> [!CAUTION]") < first_table
    assert out.index("`--allow-mass-removal`") < first_table
    breaking = render_markdown(full_plan())
    assert breaking.index("referenced by 3 active workflows") < breaking.index("| | create |")


def test_counts_table_by_kind_and_action() -> None:
    out = render_markdown(full_plan())
    assert "| | create | update | rename | reactivate | deactivate | delete |\n" in out
    assert "| credentials | 2 | 4 | 0 | 0 | 0 | 1 |\n" in out
    assert "| models | 2 | 3 | 1 | 1 | 2 | 0 |\n" in out
    assert "| **total** | **4** | **8** | **1** | **1** | **2** | **1** |\n" in out


def test_every_table_row_has_four_or_three_cells() -> None:
    """Pipes in values are escaped: every row of a table has its header's cell count."""
    out = render_markdown(full_plan())
    for block in out.split("\n\n"):
        rows = [line for line in block.split("\n") if line.startswith("|")]
        if not rows:
            continue
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, block


def test_empty_plan() -> None:
    out = render_markdown(Plan())
    assert out == (
        "<!-- reconciler-plan -->\n## Reconciler plan\n\n"
        "**No changes. The registry matches the catalog.**\n"
    )


def test_secret_values_never_render() -> None:
    out = render_markdown(canary_plan())
    assert CANARY not in out
    assert "CANARY" not in out
    assert "| `api_key` | _hidden_ | _sensitive value changed_ |" in out


def test_md_code_escapes_pipes_backticks_and_newlines() -> None:
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("a `b` c") == "``a `b` c``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("one\ntwo") == "`one`<br>`two`"


def test_md_text_escapes_markup() -> None:
    assert md_text("<img src=x> *bold* [link](u) a|b") == (
        "&lt;img src=x&gt; \\*bold\\* \\[link\\](u) a\\|b"
    )
    assert md_text("# heading") == "\\# heading"
    assert md_text("- item") == "\\- item"
    assert md_text("a\nb") == "a<br>b"


def test_hostile_key_in_summary_is_html_escaped() -> None:
    change = Change(Action.UPDATE, Kind.MODEL, "x</summary><b>", {"enabled": FieldChange(1, 2)})
    out = render_markdown(Plan(changes=[change]))
    assert "<b>x&lt;/summary&gt;&lt;b&gt;</b>: 1 field changed</summary>" in out
    # elsewhere it is only inside a code span, where Markdown shows HTML literally
    assert out.count("x</summary><b>") == out.count("`x</summary><b>`") == 1


def test_cost_cells_show_enough_digits_to_differ() -> None:
    fc = FieldChange(2.5e-06, 2.5000000001e-06)
    change = Change(Action.UPDATE, Kind.MODEL, "m", {"cost.input_per_token": fc})
    out = render_markdown(Plan(changes=[change]))
    assert "($2.50 per 1M)" in out
    assert "($2.5000000001 per 1M)" in out
