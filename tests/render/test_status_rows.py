"""The status table's rows (reconciler.render.status), as the text and markdown plans show
them: the secrets row counts each secret once, and an approved break with a fix says
what to do."""

from __future__ import annotations

import pytest
from plans import PLANS

from reconciler.plan.alerts import (
    ReadFailure,
    SecretFailure,
    SecretsByVersion,
    SecretsUnreadable,
    SecretVersionsUnchecked,
)
from reconciler.plan.guards import BREAKING_FLAG as BREAKING
from reconciler.plan.model import Action, Change, FieldChange, Kind, Plan, RefChange, SecretStatus
from reconciler.plan.status import CheckKind
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text
from reconciler.render.status import secret_categories, status_rows


def _added(name: str, ref: str) -> Change:
    """A created credential whose secret comes from ``ref``."""
    return Change(
        Action.CREATE,
        Kind.CREDENTIAL,
        name,
        {
            "api_key": FieldChange(
                None, None, SecretStatus.ADDED, RefChange("", ref, SecretStatus.ADDED)
            )
        },
    )


def _secrets_result(plan: Plan) -> str:
    [row] = [r for r in status_rows(plan) if r.check is CheckKind.SECRETS]
    return row.result


def test_an_unreadable_added_secret_is_not_also_counted_added() -> None:
    plan = Plan(
        changes=[_added("a", "env A"), _added("b", "env B"), _added("c", "env C")],
        notes=[SecretsUnreadable("", (("env B", SecretFailure(ReadFailure.NOT_SET, "not set")),))],
    )
    assert _secrets_result(plan) == (
        "2 added (values are never shown); 1 secret could not be read here: env B (not set)"
    )
    assert "2 added (values are never shown); 1 secret could not be read here: env B" in (
        render_text(plan)
    )
    row = next(line for line in render_markdown(plan).split("\n") if "| secrets |" in line)
    assert "| 2 added (values are never shown); 1 secret could not be read here: `env B`" in row


def test_when_no_added_secret_could_be_read_none_is_counted_added() -> None:
    plan = Plan(
        changes=[_added("a", "env A"), _added("b", "env B")],
        notes=[
            SecretsUnreadable(
                "",
                (
                    ("env A", SecretFailure(ReadFailure.NOT_SET, "not set")),
                    ("env B", SecretFailure(ReadFailure.NOT_SET, "not set")),
                ),
            )
        ],
    )
    assert _secrets_result(plan) == (
        "2 secrets could not be read here: env A (not set), env B (not set)"
    )


def test_a_readable_added_secret_is_counted_added() -> None:
    plan = Plan(changes=[_added("a", "env A")])
    assert _secrets_result(plan) == "1 added (values are never shown)"


_FIX = (
    "add previous_slugs: [gpt-4-turbo] to model gpt-4-turbo-2024 (same provider and model_id): "
    "its row is then renamed, and the workflows follow; "
)


def test_an_approved_break_with_a_fix_is_worded_as_an_instruction() -> None:
    """The fix stays the better way; approving the break is the alternative, said as what to
    do (as the unapproved row says it), not as "or allowed by --allow-breaking"."""
    plan = PLANS["production"]()
    allowed = frozenset({BREAKING})
    text = render_text(plan, allowed=allowed)
    assert f"      to do: {_FIX}or, if intended, apply with --allow-breaking\n" in text
    assert "or allowed by" not in text
    markdown = render_markdown(plan, allowed=allowed)
    [row] = [line for line in markdown.split("\n") if "| model `gpt-4-turbo` deactivated" in line]
    assert row.endswith(
        "and the workflows follow; or, if intended, approve with the label "
        "`reconciler:allow-breaking` (apply needs `--allow-breaking`) |"
    )
    assert "or approved by" not in markdown
    # not approved: the same alternative, as before
    assert f"to do: {_FIX}or apply with --allow-breaking to break them on purpose\n" in (
        render_text(plan)
    )


@pytest.mark.parametrize("name", sorted(PLANS))
def test_no_secret_is_counted_in_two_categories(name: str) -> None:
    """A reviewer reads each secret fact once: the secrets row and the note on secrets without
    a source version (the comment's footer) never count one secret twice."""
    plan = PLANS[name]()
    categories = secret_categories(plan)
    seen: dict[str, str] = {}
    for category, members in categories.items():
        for member in members:
            assert member not in seen, f"{member} is {seen[member]} and {category}"
            seen[member] = category
    # secrets without a source version are the note's (the footer's), not the row's
    assert "not compared" not in _secrets_result(plan)


def test_a_changed_reference_whose_version_could_not_be_checked_is_counted_there_only() -> None:
    failure = SecretFailure(ReadFailure.NOT_FOUND, "SOPS file 'new.enc.yaml' does not exist")
    changed = FieldChange(
        None,
        None,
        SecretStatus.CHANGED,
        RefChange("sops old.enc.yaml#k", "sops new.enc.yaml#k", SecretStatus.UNKNOWN),
    )
    plan = Plan(
        changes=[Change(Action.UPDATE, Kind.CREDENTIAL, "c", {"api_key": changed})],
        notes=[
            SecretsByVersion("", "no-secrets"),
            SecretVersionsUnchecked("", (("sops new.enc.yaml#k", failure),)),
        ],
    )
    assert secret_categories(plan) == {"unchecked": ["sops new.enc.yaml#k"]}
    result = _secrets_result(plan)
    assert result.startswith("1 secret's version could not be checked: sops new.enc.yaml#k")
    assert "reference changed" not in result


def test_secrets_without_a_source_version_are_named_in_the_footer_only() -> None:
    plan = PLANS["production"]()
    markdown = render_markdown(plan)
    row = next(line for line in markdown.split("\n") if "| secrets |" in line)
    assert "prod-openai" not in row
    assert "not compared" not in row
    footer = markdown.split("\n")[-2]
    assert footer.count("`prod-openai.api_key`") == 1
    text = render_text(plan)
    assert text.count("prod-openai.api_key") == 1
