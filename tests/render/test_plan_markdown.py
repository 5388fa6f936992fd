from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from plans import (
    CANARY,
    PLANS,
    canary_plan,
    check_golden,
    full_plan,
    many_creates_plan,
    split_plan,
)

from reconciler.plan.alerts import (
    Alert,
    Breaking,
    DropsCredential,
    LikelyRename,
    MassRemoval,
    NotManaged,
    ReadFailure,
    RevertsApplicationEdit,
    SecretFailure,
    SecretsUnreadable,
    SlugChanged,
    UnlinksInactiveModels,
    WorkflowImpact,
)
from reconciler.plan.model import (
    ACTIONS,
    Action,
    Change,
    CreatedFields,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
)
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import (
    ALERT_BUDGET,
    COMMENT_BUDGET,
    inline_field,
    marker,
    md_code,
    md_text,
    render_markdown,
    render_markdown_parts,
)
from reconciler.render.plan_text import render_text
from reconciler.render.view import risk, summary_line
from reconciler.state.records import MODEL_FIELDS, ModelState

_NOT_SET = SecretFailure(ReadFailure.NOT_SET, "not set")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_markdown_matches_golden(name: str) -> None:
    check_golden(f"{name}.md", render_markdown(PLANS[name]()))


def test_starts_with_the_marker_and_is_stable() -> None:
    out = render_markdown(full_plan())
    assert out.startswith("<!-- reconciler-plan -->\n")
    assert render_markdown(full_plan()) == out


def test_problems_come_before_the_tables() -> None:
    out = render_markdown(PLANS["blocked"]())
    first_table = out.index("| | update |")
    assert out.index("| | check | result | to do |") < out.index("> [!CAUTION]") < first_table
    assert out.index("`reconciler:allow-mass-removal`") < first_table
    breaking = render_markdown(full_plan())
    row = "model `gpt-4` deactivated while 3 active workflows use it"
    assert breaking.index(row) < breaking.index("| | create |")


def test_the_header_names_the_target_first() -> None:
    """Environment, registry (never its user or password), commit and version come before
    anything else, then the summary, then the status table."""
    out = render_markdown(PLANS["production"]())
    lines = out.split("\n")
    assert lines[:4] == [
        "<!-- reconciler-plan environment=production -->",
        "## Reconciler plan",
        "",
        "Environment **production** · Registry `PostgreSQL registry.internal:5432/llm_registry`"
        " · Commit `3f2a9c1e5b7d` · Reconciler `1.4.0`",
    ]
    assert out.index("**Plan: ") < out.index("| | check | result | to do |")


def test_status_table_has_a_row_per_check_and_per_breaking_change() -> None:
    rows = [
        line.split(" | ")[:2]
        for line in render_markdown(PLANS["production"]()).split("\n")
        if line.startswith(("| ✅", "| ⚠️", "| ❌"))
    ]
    assert rows == [
        ["| ❌", "breaking"],
        ["| ❌", "breaking"],
        ["| ✅", "mass removal"],
        ["| ✅", "reverts"],
        ["| ✅", "secrets"],
        ["| ✅", "validation"],
    ]


def test_a_breaking_change_says_its_fix_and_the_label_that_approves_it() -> None:
    out = render_markdown(PLANS["production"]())
    row = next(line for line in out.split("\n") if "`gpt-4-turbo` deactivated" in line)
    assert "add `previous_slugs: [gpt-4-turbo]` to model `gpt-4-turbo-2024`" in row
    assert "(same provider and model\\_id)" in row
    assert "or add the label `reconciler:allow-breaking` to break them on purpose" in row
    # the fix is said once: the likely-rename note that says the same is left out
    assert out.count("previous_slugs: [gpt-4-turbo]") == 1
    assert "looks like a rename" not in out


def test_notes_every_ci_plan_carries_are_said_once_in_the_footer() -> None:
    out = render_markdown(PLANS["production"]())
    assert "[!NOTE]" not in out
    footer = out.rstrip("\n").split("\n")[-1]
    assert footer.startswith("<sub>Planned from catalog")
    assert "Secrets compared by source version, values not read (`--no-secrets`)" in footer
    assert "`prod-openai.api_key`" in footer
    assert out.count("prod-openai.api_key") == 1


def test_status_rows_come_from_typed_alerts_not_words() -> None:
    """A revert's row counts the alert's fields; the wording of the alert plays no part."""
    plan = PLANS["attribution"]()
    out = render_markdown(plan)
    row = next(line for line in out.split("\n") if line.startswith("| ⚠️ | reverts |"))
    assert "reverts 1 field the application changed" in row
    assert "1 conflict (changed by both)" in row
    assert "1 older row edited (fields not recorded)" in row
    assert "model `gpt-4o`, model `legacy-row`" in row


def _new_reference_plan(unreadable: bool) -> Plan:
    """A credential's new reference whose value was not read: in a CI plan (values never
    read), or because it could not be read here (a note says so)."""
    ref = RefChange("env KEY_A", "env KEY_B", SecretStatus.UNKNOWN)
    change = Change(
        Action.UPDATE,
        Kind.CREDENTIAL,
        "prod",
        {"api_key": FieldChange(None, None, SecretStatus.CHANGED, ref)},
    )
    notes: list[Alert] = [SecretsUnreadable("", (("env KEY_B", _NOT_SET),))] if unreadable else []
    return Plan(changes=[change], notes=notes)


@pytest.mark.parametrize(
    ("unreadable", "result"),
    [
        (
            True,
            "1 reference changed; its value could not be read here (apply reads it): "
            "`env KEY_B` (not set)",
        ),
        (False, "1 reference changed; its value was not read (apply reads it)"),
    ],
)
def test_secrets_row_says_what_is_known_of_a_new_reference(unreadable: bool, result: str) -> None:
    """Not "1 changed": the reference changed, and the value behind it is unknown. The note
    that the secret could not be read is said by the row (with why), not again below it."""
    plan = _new_reference_plan(unreadable)
    out = render_markdown(plan)
    row = next(line for line in out.split("\n") if "| secrets |" in line)
    assert f"| {result} |" in row
    assert "changed (values are never shown)" not in row
    assert "[!NOTE]" not in out
    # named by the row when it could not be read, and by the change
    assert out.count("`env KEY_B`") == (2 if unreadable else 1)
    # the text plan says it once too, in its secrets check; the JSON keeps the note as data
    if unreadable:
        assert "Note: some secrets could not be read here" not in render_text(plan)
        notes = json.loads(render_json(plan))["notes"]
        assert [n["kind"] for n in notes] == ["secrets-unreadable"]


def test_a_rename_says_what_becomes_of_its_old_slug() -> None:
    """The old slug stays a LiteLLM alias while the model is enabled; the registry knows only
    the new slug."""
    renamed = Change(Action.RENAME, Kind.MODEL, "new", previous_key="old", litellm_alias=True)
    lines = render_markdown(Plan([renamed])).split("\n")
    row = next(line for line in lines if line.startswith("| `>` | rename |"))
    assert "slug changes; LiteLLM keeps `old` as an alias, the registry does not" in row
    disabled = Change(
        Action.RENAME, Kind.MODEL, "new", {"enabled": FieldChange(True, False)}, previous_key="old"
    )
    out = render_markdown(Plan([disabled]))
    assert "slug changes; no alias for `old` (the model is disabled)" in out
    assert "    slug changes; no alias for old (the model is disabled)\n" in render_text(
        Plan([disabled])
    )


def test_counts_table_by_kind_and_action() -> None:
    out = render_markdown(full_plan())
    assert "| | create | update | rename | reactivate | deactivate | delete |\n" in out
    assert "| credentials | 2 | 4 | 0 | 0 | 0 | 1 |\n" in out
    assert "| models | 2 | 3 | 1 | 1 | 2 | 0 |\n" in out
    assert "| **total** | **4** | **8** | **1** | **1** | **2** | **1** |\n" in out


def test_zero_count_actions_are_left_out() -> None:
    out = render_markdown(PLANS["blocked"]())
    assert "**Plan: 2 to update, 6 to deactivate.**" in out
    assert "| | update | deactivate |\n|:--|--:|--:|\n| models | 1 | 6 |\n" in out
    assert "0 to " not in out


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
    assert "| credential `unmarked` | `api_key` _sensitive value changed_ |" in out


def test_md_code_escapes_pipes_backticks_and_newlines() -> None:
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("a `b` c") == "``a `b` c``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("one\ntwo") == "`one`<br>`two`"


def test_trailing_line_breaks_leave_no_dangling_br() -> None:
    """A YAML block scalar (``description: |``) ends with a line break: not a ``<br>`` at the
    end of the cell. Blank lines inside stay."""
    assert md_code("one\ntwo\n") == "`one`<br>`two`"
    assert md_code("one\n\ntwo\n\n") == "`one`<br><br>`two`"
    assert md_text("one\ntwo\n") == "one<br>two"
    assert md_code("\n") == ""


def test_md_text_escapes_markup() -> None:
    assert md_text("<img src=x> *bold* [link](u) a|b") == (
        "&lt;img src=x&gt; \\*bold\\* \\[link\\](u) a\\|b"
    )
    assert md_text("# heading") == "\\# heading"
    assert md_text("- item") == "\\- item"
    assert md_text("a\nb") == "a<br>b"


LONG = "x" * 100  # a value too long for a row: the change gets a field table


def test_hostile_key_in_summary_is_html_escaped() -> None:
    fields = {"description": FieldChange(LONG, "y")}
    change = Change(Action.UPDATE, Kind.MODEL, "x</summary><b>", fields)
    out = render_markdown(Plan(changes=[change]))
    assert "<b>x&lt;/summary&gt;&lt;b&gt;</b>: 1 field changed</summary>" in out
    # elsewhere it is only inside a code span, where Markdown shows HTML literally
    assert out.count("x</summary><b>") == out.count("`x</summary><b>`") == 1


def test_cost_cells_show_enough_digits_to_differ() -> None:
    fc = FieldChange(2.5e-06, 2.5000000001e-06)
    fields = {"cost.input_per_token": fc, "description": FieldChange(LONG, None)}
    out = render_markdown(Plan(changes=[Change(Action.UPDATE, Kind.MODEL, "m", fields)]))
    assert "| input $2.50 → $2.5000000001 /1M<br>_and 1 more field in the table below_ |" in out
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
    assert "| `+` | create | model `gpt-5-5` | openai/gpt-5.5, platform, premium |\n" in out


def test_reasoning_off_reads_false_when_created_and_updated() -> None:
    created = Change(
        Action.CREATE, Kind.MODEL, "m", {"capabilities.reasoning": FieldChange(None, None)}
    )
    turned_on = FieldChange(None, "effort")
    updated = Change(Action.UPDATE, Kind.MODEL, "m", {"capabilities.reasoning": turned_on})
    assert "| `capabilities.reasoning` | `false` |\n" in render_markdown(Plan([created]))
    assert "`capabilities.reasoning` `false` → `effort` |\n" in render_markdown(Plan([updated]))


def test_created_secrets_show_only_their_status() -> None:
    out = render_markdown(canary_plan())
    block = details_of(out, "<code>+</code> create credential <b>leaky</b>: 2 fields")
    assert "| `api_key` | _sensitive value added_ |\n" in block
    assert "| `provider` | `openai` |\n" in block
    assert "CANARY" not in out


def test_created_secrets_show_their_reference_never_a_value() -> None:
    out = render_markdown(full_plan())
    block = details_of(out, "<code>+</code> create credential <b>bedrock-east</b>: 4 fields")
    assert (
        "| `secret_access_key` | `aws_secretsmanager staging/bedrock#secret` "
        "_(sensitive value added)_ |\n"
    ) in block
    # the change table says it too: field tables can be left out of a big comment
    assert (
        "| `+` | create | credential `prod-anthropic` | anthropic; api\\_key from "
        "`env ANTHROPIC_API_KEY` |\n"
    ) in out


@pytest.mark.parametrize(
    ("fc", "row"),
    [
        # adopting a credential that holds no value: nothing was hidden before
        (
            FieldChange(
                None, None, SecretStatus.ADDED, RefChange("", "env NEW", SecretStatus.ADDED)
            ),
            "`api_key` _none_ → `env NEW` _(sensitive value added)_",
        ),
        # a value stored without a reference
        (
            FieldChange(
                None, None, SecretStatus.CHANGED, RefChange("", "env K", SecretStatus.UNCHANGED)
            ),
            "`api_key` _stored without a reference_ → `env K` _(value unchanged)_",
        ),
    ],
)
def test_updated_secret_without_a_previous_reference(fc: FieldChange, row: str) -> None:
    change = Change(Action.UPDATE, Kind.CREDENTIAL, "c", {"api_key": fc}, adopt=True)
    out = render_markdown(Plan(changes=[change]))
    assert f"| `~` | update | credential `c` | {row}<br>adopts an unmanaged row |\n" in out
    assert "_hidden_" not in out


def test_deactivations_say_the_row_is_kept() -> None:
    out = render_markdown(full_plan())
    assert "| `-` | deactivate | model `text-davinci-003` | kept, marked inactive |\n" in out
    assert (
        "| `-` | deactivate | model `gpt-4` | kept, marked inactive<br>**breaking**; "
        "⚠️ referenced by 3 active workflows: `support-bot`, `triage`, `summarizer` |\n"
    ) in out


def test_each_breaking_change_is_said_once_above_the_tables() -> None:
    """Its row in the status table; its details (the workflows) on its row in the table
    below. No alert repeats them, and a rename that repoints workflows is no breaking row."""
    out = render_markdown(full_plan())
    tables = out.index("| | create |")
    above = out[:tables]
    assert above.count("`gpt-4`") == 1
    assert above.count("`mixtral-8x7b`") == 1
    assert "claude-sonnet-3-5" not in above
    assert "Workflow impact" not in out
    assert "[!WARNING]" not in out
    assert "`summarizer`" in out[tables:]


def test_warnings_on_a_change_are_on_its_row() -> None:
    unlinks = UnlinksInactiveModels("credential c", ("m",))
    change = Change(Action.DELETE, Kind.CREDENTIAL, "c", warnings=(unlinks,))
    out = render_markdown(Plan(changes=[change]))
    assert "| `-` | delete | credential `c` | ⚠️ unlinks 1 inactive model: m |\n" in out
    assert out.count("unlinks") == 1


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
        "capabilities.reasoning",  # off (None) is a value a create sets
        "cost.input_per_token",
        "enabled",
    ]
    assert "8 fields</summary>" in out


def test_reactivations_list_their_field_changes_or_say_there_are_none() -> None:
    out = render_markdown(full_plan())
    assert "| `+` | reactivate | model `mistral-large` | input _none_ → $2.00 /1M |" in out
    same = render_markdown(Plan(changes=[Change(Action.REACTIVATE, Kind.MODEL, "back")]))
    row = "| `+` | reactivate | model `back` | no field changes; the row comes back as it was |"
    assert row in same
    assert "<details>" not in same


def test_code_spans_in_notes_are_kept() -> None:
    note = LikelyRename("model gpt-4o-mini-2", "gpt-4o-mini", "gpt-4o-mini-2")
    out = render_markdown(Plan(notes=[note]))
    assert "add `previous_slugs: [gpt-4o-mini]` to keep its row and repoint its workflows, " in out
    assert "or pin `slug: gpt-4o-mini`" in out
    page = html_of(out)
    assert "<code>previous_slugs: [gpt-4o-mini]</code>" in page
    assert "<code>slug: gpt-4o-mini</code>" in page
    assert "`" not in page  # no literal backticks left over


def test_code_spans_with_pipes_cannot_split_a_table_cell() -> None:
    # slugs with pipes, inside the warning's code spans and outside them
    warning = SlugChanged("model a|b", "a|b", "x | y")
    change = Change(Action.DEACTIVATE, Kind.MODEL, "m", warnings=(warning,))
    out = render_markdown(Plan(changes=[change]))
    page = html_of(out)
    row = next(r for r in page.split("<tr>") if "<code>m</code></td>" in r)
    assert row.count("<td") == 4
    assert "<code>previous_slugs: [a|b]</code>" in row
    assert "<code>slug: a|b</code>" in row
    assert "'x | y'" in row


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
    # approved (in a pull request: by its label): left to do is applying with the flag
    assert (
        "| ⚠️ | breaking | model `gpt-4` deactivated while 3 active workflows use it | "
        "approved by the label `reconciler:allow-breaking`: apply with `--allow-breaking` |\n"
    ) in out
    assert "❌" not in out
    assert "add the label" not in out
    assert render_markdown(full_plan(), allowed=frozenset()) == render_markdown(full_plan())


def test_mixed_guards_say_which_flag_is_still_needed() -> None:
    plan = full_plan()
    plan.guards.append(MassRemoval("", 9, 0, 10))
    out = render_markdown(plan, allowed=frozenset({"--allow-breaking"}))
    assert (
        "| ❌ | mass removal | the plan deactivates 9 of 10 managed models (90%); "
        "is the catalog checkout complete? | make sure the catalog checkout is complete; "
        "if the removal is intended, add the label `reconciler:allow-mass-removal` |\n"
    ) in out
    assert out.count("| ⚠️ | breaking |") == 2


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


def test_creates_lose_their_field_tables_before_anything_else() -> None:
    out = render_markdown(big_plan(150))
    assert len(out) <= COMMENT_BUDGET < 65_536
    assert "<details>" not in out
    assert out.count("| `+` | create |") == 150  # every change is still listed
    assert "The field tables of new rows are left out to fit the comment" in out
    small = render_markdown(big_plan(20))
    assert small.count("<details>") == 20
    assert "left out" not in small


GITHUB_LIMIT = 65_536


def huge_plan(creates: int, others: int, errors: int = 0, notes: int = 0) -> Plan:
    """Thousands of changes of every kind and action, with warnings, errors and notes."""
    changes: list[Change] = [
        Change(
            Action.CREATE,
            Kind.CREDENTIAL,
            f"cred-{n}",
            {
                "provider": FieldChange(None, "fireworks"),
                "api_key": FieldChange(
                    None,
                    None,
                    SecretStatus.ADDED,
                    RefChange("", f"aws_secretsmanager prod/cred-{n}", SecretStatus.ADDED),
                ),
            },
        )
        for n in range(40)
    ]
    changes += [
        Change(
            Action.CREATE,
            Kind.MODEL,
            f"fireworks-model-{n:05d}",
            {
                "display_name": FieldChange(None, f"Fireworks model {n}"),
                "provider": FieldChange(None, "fireworks"),
                "model_id": FieldChange(None, f"accounts/fireworks/models/model-{n:05d}"),
                "category": FieldChange(None, "standard"),
            },
        )
        for n in range(creates)
    ]
    for n in range(others):
        slug = f"old-model-{n:05d}"
        subject = f"model {slug}"
        if n % 3 == 0:
            warning: Alert = WorkflowImpact(subject, (f"flow-{n}", f"flow-{n + 1}"), 2)
            changes.append(
                Change(Action.DEACTIVATE, Kind.MODEL, slug, warnings=(warning,), breaking=True)
            )
        elif n % 3 == 1:
            warning = RevertsApplicationEdit(subject, ("category",))
            fields = {"category": FieldChange("budget", "standard")}
            changes.append(Change(Action.UPDATE, Kind.MODEL, slug, fields, (warning,)))
        else:
            changes.append(Change(Action.DEACTIVATE, Kind.MODEL, slug))
    changes.append(Change(Action.UPDATE, Kind.SETTINGS, "settings", {"x": FieldChange(1, 2)}))
    return Plan(
        changes=changes,
        errors=[NotManaged(f"model app-{n}", "model", f"app-{n}") for n in range(errors)],
        guards=[Breaking("", tuple(c.key for c in changes if c.breaking))],
        notes=[LikelyRename(f"model new-{n}", f"old-{n}", f"new-{n}") for n in range(notes)],
        catalog_digest="sha256:abc",
        revision=9,
    )


def _listed(out: str) -> Counter[str]:
    """The changes a comment lists, by action: table rows and names in the list of creates."""
    listed = Counter(re.findall(r"^\| `[-+~>]` \| (\w+) \|", out, re.MULTILINE))
    names = re.search(r"^\*\*\d+ models? to create\*\*.*\n(.*)$", out, re.MULTILINE)
    if names:
        listed["create"] += len(re.findall(r"`[^`]+`", names[1]))
    return listed


def _counted(out: str) -> Counter[str]:
    """The changes the note at the end counts as not listed, by action."""
    note = re.search(r"^<sub>\d+ changes? not listed \((.*?)\)", out, re.MULTILINE)
    if not note:
        return Counter()
    return Counter({a: int(n) for n, a in re.findall(r"(\d+) to (\w+)", note[1])})


def _risk_order(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=risk)


@pytest.mark.parametrize(
    ("creates", "others", "errors", "notes"),
    [
        (1200, 0, 0, 0),  # the reported case: ~78,000 characters of tables
        (3000, 2000, 0, 0),
        (2000, 2000, 1500, 800),
        (0, 4000, 0, 0),
    ],
)
def test_huge_plans_stay_under_githubs_limit_and_tell_the_true_totals(
    creates: int, others: int, errors: int, notes: int
) -> None:
    plan = huge_plan(creates, others, errors, notes)
    out = render_markdown(plan)
    assert len(out) <= COMMENT_BUDGET < GITHUB_LIMIT
    assert out == render_markdown(plan)  # still deterministic
    # the true totals, in the summary line and the counts table
    totals = plan.summary()
    assert f"**{summary_line(plan, zeros=False)}**" in out
    actions = [a for a in ACTIONS if totals[a.value]]  # zero-count actions are left out
    models = [sum(c.kind is Kind.MODEL and c.action is a for c in plan.changes) for a in actions]
    assert "| models | " + " | ".join(map(str, models)) + " |\n" in out
    if len({c.kind for c in plan.changes}) > 1:
        assert "| **total** | " + " | ".join(f"**{totals[a.value]}**" for a in actions) in out
    # every change is listed or counted as not listed; what is left out is the least risky
    listed, counted = _listed(out), _counted(out)
    assert listed + counted == Counter({a: n for a, n in totals.items() if n})
    shown = sum(listed.values())
    assert [c.action.value for c in _risk_order(plan.changes)[:shown]] == sorted(
        listed.elements(), key=[c.action.value for c in _risk_order(plan.changes)].index
    )
    if counted:
        assert "the full plan is in the JSON and text output of <code>reconciler plan</code>" in out
    # long alerts list their first items and count the rest
    if errors:
        shown = out.count("exists in the registry but")
        assert 0 < shown < errors
        assert f"> - _…and {errors - shown} more errors, left out to keep this comment" in out
        caution = out[out.index("> [!CAUTION]") :].split("\n\n", 1)[0]
        assert len(caution) <= ALERT_BUDGET
        assert f"**{errors} errors: the plan cannot be applied.**" in out
    if notes:
        shown = out.count("looks like a rename of")
        assert f"> - _…and {notes - shown} more notes, left out" in out
    # still well-formed: every table row has its header's cell count
    for block in out.split("\n\n"):
        rows = [line for line in block.split("\n") if line.startswith("|")]
        if rows:
            assert len({len(re.split(r"(?<!\\)\|", row)) for row in rows}) == 1, block


def test_1200_creates_are_all_named_in_one_comment() -> None:
    out = render_markdown(huge_plan(1200, 0))
    assert "not listed" not in out
    assert "**1200 models to create**, by name to fit the comment" in out
    assert "`fireworks-model-01199`" in out
    # credentials keep their rows, with where their secrets come from
    assert "| `+` | create | credential `cred-39` | fireworks; api\\_key from " in out


@pytest.mark.parametrize(("creates", "others"), [(3000, 2000), (0, 4000), (40, 30)])
def test_split_parts_hold_every_change_once_each_within_the_limit(
    creates: int, others: int
) -> None:
    plan = huge_plan(creates, others)
    plan.environment = "prod"
    parts = render_markdown_parts(plan)
    assert (len(parts) > 1) == (others >= 100)
    assert all(len(part) <= COMMENT_BUDGET for part in parts)
    assert parts == render_markdown_parts(plan)
    listed: Counter[str] = Counter()
    for number, part in enumerate(parts, 1):
        assert part.startswith(marker("prod", number) + "\n")
        assert sum(part.count(marker("prod", n)) for n in range(1, len(parts) + 2)) == 1
        if number > 1:
            assert f"## Reconciler plan, part {number} of {len(parts)}\n" in part
        goes_on = f"it goes on in part {number + 1} of {len(parts)}"
        assert (goes_on in part) == (number < len(parts))
        assert "not listed" not in part
        listed += _listed(part)
    assert listed == Counter({a: n for a, n in plan.summary().items() if n})
    if len(parts) == 1:
        assert parts == [render_markdown(plan)]


def test_markers_of_parts() -> None:
    assert marker("") == "<!-- reconciler-plan -->"
    assert marker("", 2) == "<!-- reconciler-plan part=2 -->"
    assert marker("prod") == "<!-- reconciler-plan environment=prod -->"
    assert marker("prod", 3) == "<!-- reconciler-plan environment=prod part=3 -->"


def test_plans_that_fit_are_listed_whole() -> None:
    out = render_markdown(huge_plan(100, 60))
    assert "not listed" not in out
    assert "more warnings" not in out
    assert out.count("| `+` | create |") == 140


# --- as GitHub renders it (cmark-gfm with GitHub's extensions) ---------------------------------

GFM_EXTENSIONS = ["table", "autolink", "strikethrough", "tagfilter"]


class _Html(HTMLParser):
    """Text outside code, links, and the tags of the rendered comment."""

    def __init__(self) -> None:
        super().__init__()
        self.inert = 0  # inside <code>/<pre>: GitHub makes no mention, reference or emoji there
        self.live_text: list[str] = []
        self.links: list[str] = []
        self.tags: Counter[str] = Counter()
        self.tables: list[list[int]] = []  # per table, the cells of each row

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag in ("code", "pre"):
            self.inert += 1
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag == "table":
            self.tables.append([])
        if tag == "tr":
            self.tables[-1].append(0)
        if tag in ("td", "th"):
            self.tables[-1][-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre"):
            self.inert -= 1

    def handle_data(self, data: str) -> None:
        if not self.inert:
            self.live_text.append(data)


def gfm_html(markdown: str) -> _Html:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    html = cmarkgfm.markdown_to_html_with_extensions(
        markdown, options=Options.CMARK_OPT_UNSAFE, extensions=GFM_EXTENSIONS
    )
    parsed = _Html()
    parsed.feed(html)
    return parsed


def test_names_from_the_registry_are_inert_on_github() -> None:
    page = gfm_html(render_markdown(PLANS["hostile"]()))
    live = "".join(page.live_text)
    for hostile in ("@octocat", "#12", ":fire:", "evil.example", "@admin-model", "#7"):
        assert hostile not in live, hostile  # only inside code spans
    assert not [href for href in page.links if "evil" in href]  # no autolink
    assert page.tags["b"] == 0  # the name's <b> is shown, not rendered
    # status, counts, models: the pipe in a name split no cell
    assert page.tables == [[4] * 6, [2, 2], [4, 4]]


def test_a_dropped_credential_named_in_the_registry_is_inert_on_github() -> None:
    # the credential a model used comes from its registry row, which the application may write
    hostile = "ping @octocat #12 | https://evil.example"
    alert = DropsCredential("model a", hostile, ("a",), ("OPENAI_API_KEY",))
    change = Change(
        Action.UPDATE, Kind.MODEL, "a", {"description": FieldChange("x", "y")}, (alert,)
    )
    page = gfm_html(render_markdown(Plan(changes=[change])))
    live = "".join(page.live_text)
    assert "no longer uses credential" in live
    for part in ("@octocat", "#12", "evil.example"):
        assert part not in live, part
    assert not page.links
    assert all(len(set(rows)) == 1 for rows in page.tables)  # the pipe split no cell


@pytest.mark.parametrize("name", sorted(PLANS))
def test_tables_are_intact_on_github(name: str) -> None:
    markdown = render_markdown(PLANS[name]())
    page = gfm_html(markdown)
    # one <table> per Markdown table (a header row followed by its delimiter row)
    tables = len(re.findall(r"^\|.*\|\n\|[:\-| ]+\|$", markdown, flags=re.MULTILINE))
    assert len(page.tables) == tables
    assert all(len(set(rows)) == 1 for rows in page.tables)  # every row has the header's cells
    assert page.tags["script"] == 0


def test_many_breaking_changes_share_one_row_past_the_first_few() -> None:
    changes = [Change(Action.DEACTIVATE, Kind.MODEL, f"m{n:02d}", breaking=True) for n in range(12)]
    plan = Plan(changes=changes, guards=[Breaking("", tuple(c.key for c in changes))])
    rows = [line for line in render_markdown(plan).split("\n") if line.startswith("| ❌ |")]
    assert len(rows) == 6
    assert rows[4].startswith("| ❌ | breaking | model `m04` deactivated |")
    assert rows[5] == (
        "| ❌ | breaking | …and 7 more breaking changes (see the changes below) | "
        "add the label `reconciler:allow-breaking` |"
    )


def test_1500_creates_keep_the_breaking_and_price_rows_with_their_values() -> None:
    out = render_markdown(many_creates_plan())
    check_golden("many-creates.md", out)
    assert len(out) <= COMMENT_BUDGET
    assert "not listed" not in out
    rows = out[out.index("### Changes to existing rows") : out.index("### New rows")]
    assert rows.index("`mixtral-8x7b`") < rows.index("`gpt-4o`")  # breaking first
    assert "`enabled` `true` → `false`<br>**breaking**" in rows
    assert "input $2.00 → $1.50 /1M (−25%)<br>output $8.00 → $6.00 /1M (−25%)<br>" in rows
    assert "`context_window` `128000` → `200000`" in rows
    assert "**1500 models to create**" in out
    assert out.count("`m-") == 1500


def test_a_plan_too_long_for_one_comment_splits_into_parts() -> None:
    parts = render_markdown_parts(split_plan())
    assert len(parts) == 2
    for number, part in enumerate(parts, 1):
        check_golden(f"split.part-{number}.md", part)
        assert len(part) <= COMMENT_BUDGET < GITHUB_LIMIT
        assert part.startswith(marker("prod", number) + "\n")
        page = gfm_html(part)
        assert all(len(set(rows)) == 1 for rows in page.tables)
    assert "### Changes to existing rows (continued)\n\n| | action | name | details |" in parts[1]
    assert sum(p.count("| `-` | deactivate |") for p in parts) == 900
    # the single comment says what it could not list, and points at the full plan
    single = render_markdown(split_plan())
    assert "changes not listed (" in single


@pytest.mark.parametrize(
    ("path", "fc", "text"),
    [
        ("cost.input_per_token", FieldChange(2e-06, 1.5e-06), "input $2.00 → $1.50 /1M (−25%)"),
        ("cost.output_per_token", FieldChange(1e-05, 1.2e-05), "output $10.00 → $12.00 /1M (+20%)"),
        ("cost.input_per_token", FieldChange(None, 3e-06), "input _none_ → $3.00 /1M"),
        ("cost.input_per_token", FieldChange(0, 1e-06), "input $0.00 → $1.00 /1M"),
        ("cost.input_per_token", FieldChange(1e-06, 1.001e-06), "input $1.00 → $1.001 /1M (+0.1%)"),
        ("context_window", FieldChange(128000, 200000), "`context_window` `128000` → `200000`"),
        ("enabled", FieldChange(None, True), "`enabled` _none_ → `true`"),
        ("description", FieldChange("a", "b" * 61), None),
        ("description", FieldChange("a\nb", "c"), None),
        (
            "api_key",
            FieldChange(None, None, SecretStatus.CHANGED),
            "`api_key` _sensitive value changed_",
        ),
        (
            "api_key",
            FieldChange(
                None, None, SecretStatus.CHANGED, RefChange("env A", "env B", SecretStatus.UNKNOWN)
            ),
            "`api_key` `env A` → `env B` _(value not compared)_",
        ),
        # a secret the plan forgot to mark: its values never show
        ("api_key", FieldChange(CANARY, CANARY + "x"), "`api_key` _sensitive value changed_"),
    ],
)
def test_inline_fields(path: str, fc: FieldChange, text: str | None) -> None:
    assert inline_field(path, fc) == text


def test_an_update_with_many_fields_shows_prices_first_and_the_rest_in_its_table() -> None:
    fields = {f"capabilities.f{n}": FieldChange(False, True) for n in range(5)}
    fields["cost.output_per_token"] = FieldChange(1e-05, 5e-06)
    out = render_markdown(Plan(changes=[Change(Action.UPDATE, Kind.MODEL, "m", fields)]))
    row = next(line for line in out.split("\n") if line.startswith("| `~` |"))
    cell = row.split(" | ")[3]
    assert cell.startswith("output $10.00 → $5.00 /1M (−50%)<br>`capabilities.f0`")
    assert cell.endswith("<br>_and 2 more fields in the table below_ |")
    assert "<summary><code>~</code> update model <b>m</b>: 6 fields changed</summary>" in out


def pointer_plan(updates: int = 389, breaking: int = 11) -> Plan:
    """The reported plan: updates with one field more than a row shows (each points to its
    field table), behind breaking deactivations."""
    changes = [
        Change(
            Action.DEACTIVATE,
            Kind.MODEL,
            f"retired-{n:02d}",
            warnings=(WorkflowImpact(f"model retired-{n:02d}", (f"flow-{n}",), 1),),
            breaking=True,
        )
        for n in range(breaking)
    ]
    changes += [
        Change(
            Action.UPDATE,
            Kind.MODEL,
            f"updated-model-with-a-longer-slug-{n:04d}",
            {
                "context_window": FieldChange(128000, 200000),
                "max_output_tokens": FieldChange(4096, 8192),
                "category": FieldChange("budget", "standard"),
                "display_name": FieldChange(f"Model {n}", f"Model {n} (2026)"),
                "model_id": FieldChange(f"vendor/model-{n}", f"vendor/model-{n}-v2"),
            },
        )
        for n in range(updates)
    ]
    guards = [Breaking("", tuple(c.key for c in changes if c.breaking))]
    return Plan(changes=changes, guards=guards, catalog_digest="sha256:abc", revision=3)


_POINTER_ROW = re.compile(
    r"^\| `~` \| update \| model `([^`]+)` \| .*<br>_and 1 more field(?P<where>.*?) \|$",
    re.MULTILINE,
)


def _table_in(part: str, slug: str) -> bool:
    return f"update model <b>{slug}</b>: 5 fields changed</summary>" in part


def _check_pointers(parts: list[str]) -> Counter[str]:
    """Every row's pointer to its field table is true; how many point where."""
    seen: Counter[str] = Counter()
    for number, part in enumerate(parts, start=1):
        assert "\x00" not in part  # stand-ins resolved
        assert "\x01" not in part  # tags removed
        for row in _POINTER_ROW.finditer(part):
            slug, where = row[1], row["where"]
            if where == " in the table below_":
                assert _table_in(part, slug), (number, slug)
                seen["below"] += 1
            elif m := re.fullmatch(r" in the table in part (\d+)_", where):
                assert int(m[1]) != number
                assert _table_in(parts[int(m[1]) - 1], slug), (number, slug, where)
                seen["elsewhere"] += 1
            else:
                assert where == "_ (full plan only)", where
                assert not any(_table_in(p, slug) for p in parts), slug
                seen["left out"] += 1
    return seen


def test_row_pointers_to_field_tables_are_true_in_one_comment() -> None:
    plan = pointer_plan()
    out = render_markdown(plan)
    seen = _check_pointers([out])
    assert seen["left out"] > 0  # the reported case: the tables did not fit
    assert sum(seen.values()) + _counted(out)["update"] == 389


def test_row_pointers_to_field_tables_are_true_across_split_comments() -> None:
    parts = render_markdown_parts(pointer_plan())
    assert len(parts) > 1
    seen = _check_pointers(parts)
    assert seen["elsewhere"] > 0  # rows in part 1, their tables in a later part
    assert sum(seen.values()) == 389
    assert "left out" not in seen
    small = _check_pointers([render_markdown(pointer_plan(updates=3, breaking=1))])
    assert small == Counter({"below": 3})


_DETAIL = (
    "AWS secret prod/k (region us-east-1): AccessDeniedException; CANARY "
    "arn:aws:kms:us-east-1:123456789012:key/abcd"
)


@pytest.mark.parametrize("changes", [True, False])
def test_an_unreadable_secret_is_worded_by_its_reason_in_the_comment(changes: bool) -> None:
    """The secrets row (a plan with changes) or the note (without): a pull request comment
    says why by the reason alone; the text plan gives the detail; JSON keeps the record."""
    failure = SecretFailure(ReadFailure.ACCESS_DENIED, _DETAIL, "AccessDeniedException")
    plan = _new_reference_plan(False) if changes else Plan()
    plan.notes.append(SecretsUnreadable("", (("aws_secretsmanager prod/k", failure),)))
    out = render_markdown(plan)
    assert "`aws_secretsmanager prod/k` (access denied)" in out or (
        "aws_secretsmanager prod/k (access denied)" in out
    )
    for leak in ("CANARY", "123456789012", "AccessDeniedException", "us-east-1"):
        assert leak not in out
    assert _DETAIL in render_text(plan)
    (note,) = json.loads(render_json(plan))["notes"][-1:]
    assert note["data"]["secrets"] == [
        [
            "aws_secretsmanager prod/k",
            {"reason": "access-denied", "code": "AccessDeniedException", "detail": _DETAIL},
        ]
    ]
