from __future__ import annotations

import re

import pytest
from plans import CANARY, PLANS, canary_plan, check_golden, full_plan

from reconciler.plan.alerts import (
    Breaking,
    MassRemoval,
    NotManaged,
    ReadFailure,
    RevertsApplicationEdit,
    SecretFailure,
    SecretsUnreadable,
)
from reconciler.plan.guards import BREAKING_FLAG as BREAKING
from reconciler.plan.guards import MASS_REMOVAL_FLAG as MASS
from reconciler.plan.model import (
    Action,
    Change,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
)
from reconciler.render.alerts import alert_text
from reconciler.render.apply import applied_changes
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")

_NOT_SET = SecretFailure(ReadFailure.NOT_SET, "not set")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_text_matches_golden(name: str) -> None:
    check_golden(f"{name}.txt", render_text(PLANS[name]()))


_TEXT_HEAD = re.compile(r"^([-+~>]) (.+?) \((\w+)", re.MULTILINE)
_MARKDOWN_ROW = re.compile(r"^\| `([-+~>])` \| (\w+) \| (.+?) \|", re.MULTILINE)


def _text_order(text: str) -> list[tuple[str, str, str]]:
    return [(symbol, action, name) for symbol, name, action in _TEXT_HEAD.findall(text)]


def _markdown_order(markdown: str) -> list[tuple[str, str, str]]:
    return [
        (symbol, action, name.replace("`", "").replace("→", "->"))
        for symbol, action, name in _MARKDOWN_ROW.findall(markdown)
    ]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_text_lists_changes_in_the_pull_request_comments_order(name: str) -> None:
    """Riskiest first (breaking, removals, reverts, updates; renames; new rows), as the
    markdown does: a reviewer reads the same order in the terminal and the comment."""
    plan = PLANS[name]()
    order = _text_order(render_text(plan))
    assert len(order) == len(plan.changes)
    assert order == _markdown_order(render_markdown(plan))


def test_the_text_plan_is_riskiest_first_but_apply_reports_apply_order() -> None:
    plan = full_plan()
    text = _text_order(render_text(plan))
    assert [action for _, action, _ in text[:2]] == ["update", "deactivate"]  # breaking
    assert text[-1][1] == "create"
    # what apply did, in the order it did it: credentials created first
    applied = _text_order(applied_changes(plan))
    assert [(action, n) for _, action, n in applied[:2]] == [
        ("create", "credential prod-anthropic"),
        ("create", "credential bedrock-east"),
    ]


def test_color_adds_escape_codes_only_when_asked() -> None:
    plain = render_text(full_plan())
    colored = render_text(full_plan(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32m+ model gpt-5-5 (create)" in colored  # green create
    assert "\x1b[33m~ model gpt-4o (update)" in colored  # yellow update
    assert "\x1b[36m> model claude-3-5-sonnet -> claude-sonnet-3-5" in colored  # cyan rename
    assert "\x1b[31m- model gpt-4 (deactivate" in colored  # red deactivate
    assert "\x1b[31m- credential old-together (delete)" in colored  # red delete
    assert ANSI.sub("", colored) == plain


def test_empty_plan_says_no_changes() -> None:
    assert render_text(Plan()) == "No changes. The registry matches the catalog.\n"


def test_errors_without_changes_do_not_claim_the_registry_matches() -> None:
    error = NotManaged("model boom", "model", "boom")
    out = render_text(Plan(errors=[error]))
    assert "matches the catalog" not in out
    assert out.startswith(f"1 error: the plan cannot be applied.\n  x {alert_text(error)}\n")


def test_errors_and_guards_come_before_changes() -> None:
    out = render_text(PLANS["blocked"]())
    assert out.index("errors: the plan cannot be applied") < out.index("~ settings")
    assert out.index("  x mass removal: the plan deactivates 6") < out.index("~ settings")
    assert out.index("apply with --allow-mass-removal") < out.index("~ settings")


def test_the_header_names_the_target() -> None:
    out = render_text(PLANS["production"]())
    assert out.startswith(
        "Environment: production\n"
        "Registry: PostgreSQL registry.internal:5432/llm_registry\n"
        "Commit: 3f2a9c1e5b7d\n"
        "Reconciler: 1.4.0\n\n"
        "Checks:\n"
    )


def test_a_breaking_change_says_its_fix() -> None:
    out = render_text(PLANS["production"]())
    assert (
        "  x breaking: model gpt-4-turbo deactivated while 2 active workflows use it\n"
        "      to do: add previous_slugs: [gpt-4-turbo] to model gpt-4-turbo-2024 (same provider "
        "and model_id): its row is then renamed, and the workflows follow; or apply with "
        "--allow-breaking to break them on purpose\n"
    ) in out
    assert "looks like a rename" not in out  # the fix says it


def test_summary_line_counts_every_action() -> None:
    out = render_text(full_plan())
    assert (
        "Plan: 4 to create, 8 to update, 1 to rename, 1 to reactivate, 2 to deactivate, "
        "1 to delete.\n"
    ) in out


def test_creates_are_one_line() -> None:
    out = render_text(full_plan())
    line = "+ model gpt-5-5 (create)  openai/gpt-5.5, platform, premium\n"
    assert line in out
    after = out.split(line, 1)[1]
    assert not after.startswith("    ")  # no field lines under a create
    assert "context_window: (none)" not in out


def test_created_secrets_say_where_their_values_come_from() -> None:
    out = render_text(full_plan())
    assert (
        "+ credential prod-anthropic (create)  anthropic\n"
        "    api_key: env ANTHROPIC_API_KEY (sensitive value added)\n"
        "+ credential bedrock-east (create)  bedrock, us-east-1\n"
        "    access_key_id: aws_secretsmanager staging/bedrock#key_id (sensitive value added)\n"
        "    secret_access_key: aws_secretsmanager staging/bedrock#secret (sensitive value added)\n"
    ) in out
    # without a reference (a hand-made plan): the status alone, never the value
    leaky = render_text(canary_plan())
    assert "+ credential leaky (create)  openai\n    api_key: (sensitive value added)\n" in leaky


ADDED_REF = RefChange("", "env NEW_KEY", SecretStatus.ADDED)


@pytest.mark.parametrize(
    ("fc", "line"),
    [
        # adopting a credential that holds no value
        (
            FieldChange(None, None, SecretStatus.ADDED, ADDED_REF),
            "api_key: (none) -> env NEW_KEY (sensitive value added)",
        ),
        # a value the application stored without a reference
        (
            FieldChange(
                None, None, SecretStatus.CHANGED, RefChange("", "env K", SecretStatus.UNKNOWN)
            ),
            "api_key: (stored without a reference) -> env K (value not compared)",
        ),
    ],
)
def test_updated_secret_without_a_previous_reference(fc: FieldChange, line: str) -> None:
    change = Change(Action.UPDATE, Kind.CREDENTIAL, "c", {"api_key": fc}, adopt=True)
    out = render_text(Plan(changes=[change]))
    assert f"~ credential c (update, adopts an unmanaged row)\n    {line}\n" in out


def test_field_lines_for_costs_and_secrets() -> None:
    out = render_text(full_plan())
    assert "    cost.input_per_token: 5e-06 -> 2.5e-06  ($5.00 -> $2.50 per 1M)\n" in out
    assert "    context_window: 128000 -> 200000\n" in out
    assert "    api_key: (sensitive value changed)\n" in out
    assert "    api_key: (sensitive value may have changed: source version unknown)\n" in out
    assert "    api_key: (sensitive value removed)\n" in out


def test_secret_values_never_render() -> None:
    out = render_text(canary_plan()) + render_text(canary_plan(), color=True)
    assert CANARY not in out
    assert "CANARY" not in out
    assert "    api_key: (sensitive value changed)" in out
    assert "    secret_access_key: (sensitive value removed)" in out
    assert "    access_key_id: (sensitive value may have changed: source version unknown)" in out
    assert "    x.api_key: (sensitive value unchanged)" in out
    assert CANARY not in render_text(
        Plan(changes=[Change(Action.UPDATE, Kind.MODEL, "m", {"api_key": FieldChange(CANARY, 1)})])
    )


def test_control_characters_in_values_are_escaped() -> None:
    change = Change(
        Action.UPDATE,
        Kind.MODEL,
        "m",
        {"description": FieldChange("ok", "\x1b[2J\u202eevil")},
        warnings=(RevertsApplicationEdit("model m", ("bad\x07bell",)),),
    )
    out = render_text(Plan(changes=[change]))
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "\x07" not in out
    assert '"\\u001b[2J\\u202eevil"' in out


def test_secret_status_added_on_update_and_adopt_without_fields() -> None:
    plan = Plan(
        changes=[
            Change(
                Action.UPDATE,
                Kind.CREDENTIAL,
                "c",
                {"api_key": FieldChange(None, None, SecretStatus.ADDED)},
            ),
            Change(Action.UPDATE, Kind.MODEL, "m", adopt=True),
        ]
    )
    out = render_text(plan)
    assert "~ credential c (update)\n    api_key: (sensitive value added)\n" in out
    # what a change without fields does: the same words as the markdown details cell
    assert (
        "~ model m (update, adopts an unmanaged row)  "
        "no field changes; the row becomes managed by the reconciler\n"
    ) in out


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (2.5e-06, 2.5000000001e-06, "($2.50 -> $2.5000000001 per 1M)"),
        (2.5e-06, 2.5000001e-06, "($2.50 -> $2.5000001 per 1M)"),
        (3e-06, 2.999999e-06, "($3.00 -> $2.999999 per 1M)"),
        (1.5e-08, 1.5000000002e-08, "($0.015 -> $0.015000000002 per 1M)"),
        (5e-06, 2.5e-06, "($5.00 -> $2.50 per 1M)"),  # rounded figures differ: as before
        (None, 2.5e-06, "(none -> $2.50 per 1M)"),
    ],
)
def test_cost_note_shows_enough_digits_to_differ(
    before: float | None, after: float, expected: str
) -> None:
    change = Change(
        Action.UPDATE, Kind.MODEL, "m", {"cost.input_per_token": FieldChange(before, after)}
    )
    assert f"  {expected}\n" in render_text(Plan(changes=[change]))


def two_guard_plan() -> Plan:
    return Plan(
        changes=[Change(Action.DEACTIVATE, Kind.MODEL, "m", breaking=True)],
        guards=[Breaking("", ("m",)), MassRemoval("", 1, 0, 1)],
    )


def test_allowed_guards_do_not_say_apply_will_refuse() -> None:
    out = render_text(full_plan(), allowed=frozenset({BREAKING}))
    # an instruction, as the approved row with a fix says it; not a status ("allowed by")
    assert "      to do: approved: apply with --allow-breaking\n" in out
    assert "refuse" not in out
    assert out.endswith("1 to delete.\nSafety guards allowed by --allow-breaking.\n")
    # the guard itself is still shown: the reader should know what they are allowing
    assert "  ! breaking: model gpt-4 deactivated while 3 active workflows use it\n" in out


def test_only_the_allowed_guard_reads_as_allowed() -> None:
    out = render_text(two_guard_plan(), allowed=frozenset({BREAKING}))
    assert (
        "  ! breaking: model m deactivated\n      to do: approved: apply with --allow-breaking\n"
    ) in out
    assert "  x mass removal: the plan deactivates 1 of 1 managed model (all)" in out
    assert "if the removal is intended, apply with --allow-mass-removal\n" in out
    assert out.endswith(
        "Apply will refuse unless --allow-mass-removal is given.\n"
        "Safety guards allowed by --allow-breaking.\n"
    )
    both = render_text(two_guard_plan(), allowed=frozenset({BREAKING, MASS}))
    assert "refuse" not in both
    assert both.endswith("Safety guards allowed by --allow-breaking and --allow-mass-removal.\n")


def test_flags_that_trip_no_guard_change_nothing() -> None:
    assert render_text(full_plan(), allowed=frozenset({MASS})) == render_text(full_plan())
    assert render_text(Plan(), allowed=frozenset({BREAKING})) == render_text(Plan())


def test_an_unreadable_secret_is_said_once_by_its_check_row() -> None:
    """The secrets check row names the secret and why; no note below it repeats that."""
    ref = RefChange("env KEY_A", "env KEY_B", SecretStatus.UNKNOWN)
    change = Change(
        Action.UPDATE,
        Kind.CREDENTIAL,
        "prod",
        {"api_key": FieldChange(None, None, SecretStatus.CHANGED, ref)},
    )
    unreadable = SecretsUnreadable("", (("env KEY_B", _NOT_SET),))
    out = render_text(Plan(changes=[change], notes=[unreadable]))
    assert "  ! secrets: " in out
    assert out.count("env KEY_B (not set)") == 1
    assert "Note: " not in out


@pytest.mark.parametrize("name", sorted(PLANS))
def test_no_empty_block_and_no_run_of_blank_lines(name: str) -> None:
    """A block whose every line was filtered out (notes said by the checks or by a fix) is
    left out, not shown as blank lines."""
    out = render_text(PLANS[name]())
    assert "\n\n\n" not in out
    assert not out.startswith("\n")
    assert "Checks:\n\n" not in out
