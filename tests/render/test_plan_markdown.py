from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from plans import CANARY, PLANS, canary_plan, check_golden, full_plan

from reconciler.plan.model import (
    Action,
    Change,
    CreatedFields,
    FieldChange,
    Guard,
    Kind,
    Plan,
)
from reconciler.render.plan_markdown import COMMENT_BUDGET, md_code, md_text, render_markdown
from reconciler.state.records import MODEL_FIELDS, ModelState


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


def html_of(markdown: str) -> str:
    """The comment as HTML, parsed as GitHub does for what matters here (CommonMark plus
    tables: cells split at unescaped pipes before code spans are found)."""
    return str(MarkdownIt("commonmark").enable("table").render(markdown))


def details_of(out: str, summary: str) -> str:
    """The collapsible block whose summary starts with ``summary``."""
    start = out.index(f"<details><summary>{summary}")
    return out[start : out.index("</details>", start)]


def test_creates_list_every_value_they_set() -> None:
    out = render_markdown(full_plan())
    block = details_of(out, "<code>+</code> create model <b>gpt-5-5</b>: 10 fields")
    assert "| field | value |\n|:--|:--|\n" in block
    assert "| `context_window` | `400000` |\n" in block
    assert "| `capabilities.json_mode` | `true` |\n" in block
    assert "| `cost.input_per_token` | `1.25e-06` ($1.25 per 1M) |\n" in block
    assert "| `cost.output_per_token` | `1e-05` ($10.00 per 1M) |\n" in block
    # a create's one-line summary stays in the change table
    assert "| `+` | create | `gpt-5-5` | openai/gpt-5.5, platform, premium |\n" in out


def test_created_secrets_show_only_their_status() -> None:
    out = render_markdown(canary_plan())
    block = details_of(out, "<code>+</code> create credential <b>leaky</b>: 2 fields")
    assert "| `api_key` | _sensitive value added_ |\n" in block
    assert "| `provider` | `openai` |\n" in block
    assert "CANARY" not in out


def test_created_model_fields_in_column_order() -> None:
    """A create lists its fields in the registry's column order however its values were
    ordered (a saved plan's are sorted by name), and leaves out the ones it does not set."""
    values: dict[str, object] = {path: None for path, _column in MODEL_FIELDS}
    values.update(
        {
            "display_name": "New",
            "deployment": "custom",
            "provider": "openai",
            "model_id": "gpt-new",
            "context_window": 8192,
            "cost.input_per_token": 3e-06,
            "enabled": True,
        }
    )
    shuffled = ModelState("new", dict(sorted(values.items())))
    out = render_markdown(
        Plan(changes=[Change(Action.CREATE, Kind.MODEL, "new", CreatedFields(shuffled))])
    )
    rows = [line.split("`")[1] for line in details_of(out, "").split("\n") if line[:3] == "| `"]
    assert rows == [
        "display_name",
        "deployment",
        "provider",
        "model_id",
        "context_window",
        "cost.input_per_token",
        "enabled",
    ]
    assert "7 fields</summary>" in out


def test_reactivations_list_their_field_changes_or_say_there_are_none() -> None:
    out = render_markdown(full_plan())
    block = details_of(out, "<code>+</code> reactivate model <b>mistral-large</b>")
    assert "| `cost.input_per_token` | _none_ | `2e-06` ($2.00 per 1M) |" in block
    same = render_markdown(Plan(changes=[Change(Action.REACTIVATE, Kind.MODEL, "back")]))
    assert "| `+` | reactivate | `back` | no field changes; the row comes back as it was |" in same
    assert "<details>" not in same


def test_code_spans_in_notes_are_kept() -> None:
    note = (
        "model 'gpt-4o-mini-2' looks like a rename of 'gpt-4o-mini': add "
        "`previous_slugs: [gpt-4o-mini]` to keep its row, or pin `slug: gpt-4o-mini`"
    )
    out = render_markdown(Plan(notes=[note]))
    assert "add `previous_slugs: [gpt-4o-mini]` to keep its row, or pin `slug: gpt-4o-mini`" in out
    page = html_of(out)
    assert "<code>previous_slugs: [gpt-4o-mini]</code>" in page
    assert "<code>slug: gpt-4o-mini</code>" in page
    assert "`" not in page  # no literal backticks left over


def test_code_spans_with_pipes_cannot_split_a_table_cell() -> None:
    warning = "uses `a|b` and `` c ` | d ``, then a stray ` and a | pipe"
    change = Change(Action.DEACTIVATE, Kind.MODEL, "m", warnings=(warning,))
    out = render_markdown(Plan(changes=[change]))
    page = html_of(out)
    row = next(r for r in page.split("<tr>") if "<code>m</code></td>" in r)
    assert row.count("<td") == 4
    assert "<code>a|b</code>" in row
    assert "<code>c ` | d</code>" in row
    assert "a stray ` and a | pipe" in row
    # in the alert, outside any table, the same spans need no pipe escapes
    alert = page[: page.index("<table>")]
    assert "<code>a|b</code>" in alert
    assert "\\|" not in alert


def test_md_text_keeps_code_spans_and_escapes_the_rest() -> None:
    assert md_text("pin `slug: a_b` *now*") == "pin `slug: a_b` \\*now\\*"
    assert md_text("`a|b`") == "`a\\|b`"
    assert md_text("`a|b`", in_table=False) == "`a|b`"
    assert md_text("`<b>` <b>") == "`<b>` &lt;b&gt;"  # code spans show HTML literally
    assert md_text("one ` two") == "one \\` two"  # unmatched: literal
    assert md_text("``x` y``") == "``x` y``"  # closed by a run of the same length
    assert md_text("`a\nb`") == "\\`a<br>b\\`"  # spans do not cross lines
    assert md_text("- `x`") == "\\- `x`"


@pytest.mark.parametrize(
    "text",
    [
        "`x`| y",
        "a `b|c` d | e",
        "``` `|` ```",
        "`unclosed | x",
        "\\`x|y\\`",
        "`a\\` | `b`",
        "`` ` ``|``",
        "<!-- `-->` | x",
    ],
)
def test_no_text_splits_a_table_cell_or_leaks_markup(text: str) -> None:
    page = html_of(f"| a | b |\n|--|--|\n| x | {md_text(text)} |\n")
    cells = page.split("<tbody>")[1]
    assert cells.count("<td>") == 2
    assert "<!--" not in page.replace("&lt;!--", "")


def test_allowed_guards_read_as_allowed() -> None:
    out = render_markdown(full_plan(), allowed=frozenset({"--allow-breaking"}))
    assert "> **Safety guards allowed by `--allow-breaking`.**\n" in out
    assert "mixtral-8x7b, gpt-4 (allowed by `--allow-breaking`)\n" in out
    assert "refuse" not in out
    assert render_markdown(full_plan(), allowed=frozenset()) == render_markdown(full_plan())


def test_mixed_guards_say_which_flag_is_still_needed() -> None:
    plan = full_plan()
    plan.guards.append(Guard("mass-removal", "too many", "--allow-mass-removal"))
    out = render_markdown(plan, allowed=frozenset({"--allow-breaking"}))
    assert (
        "> **Apply will refuse unless `--allow-mass-removal` is given. "
        "Safety guards allowed by `--allow-breaking`.**\n"
    ) in out
    assert "> - **mass-removal**: too many (`--allow-mass-removal`)\n" in out


def big_plan(count: int) -> Plan:
    return Plan(
        changes=[
            Change(
                Action.CREATE,
                Kind.MODEL,
                f"model-{n:04d}",
                {
                    "display_name": FieldChange(None, f"Model {n}"),
                    "description": FieldChange(None, "x" * 400),
                    "context_window": FieldChange(None, 128000),
                },
            )
            for n in range(count)
        ]
    )


def test_field_tables_stop_before_githubs_comment_limit() -> None:
    out = render_markdown(big_plan(150))
    assert len(out) <= COMMENT_BUDGET < 65_536
    shown = out.count("<details>")
    assert 0 < shown < 150
    # the first tables in plan order, then a note that says how many were left out
    assert "<b>model-0000</b>" in out
    assert f"<b>model-{shown - 1:04d}</b>" in out
    assert f"<b>model-{shown:04d}</b>" not in out
    assert f"<sub>{150 - shown} field tables left out to keep this comment under" in out
    assert out.count("| `+` | create |") == 150  # every change is still listed
    assert "left out" not in render_markdown(big_plan(20))
