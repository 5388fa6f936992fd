"""The plan's status checks come from its typed changes and alerts (never from words), and
each guard's label is the one the PR workflow and the docs name."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.plan.alerts import (
    ALERT_TYPES,
    Breaking,
    DropsCredential,
    FallsBackToEnvironment,
    Guard,
    MassRemoval,
    NotManaged,
    ReadFailure,
    RevertsApplicationEdit,
    SecretFailure,
    SecretNotCompared,
    SecretsByVersion,
    SecretsUnreadable,
    SecretVersionsUnchecked,
    WorkflowImpact,
    guard_label,
)
from reconciler.plan.model import Action, Change, FieldChange, Kind, Plan, SecretStatus
from reconciler.plan.status import (
    CheckKind,
    Level,
    changes_possible,
    status_checks,
    uncompared_secrets,
)

_NOT_SET = SecretFailure(ReadFailure.NOT_SET, "not set")

ROOT = Path(__file__).resolve().parents[2]
ORDER = [
    CheckKind.BREAKING,
    CheckKind.MASS_REMOVAL,
    CheckKind.REVERTS,
    CheckKind.SECRETS,
    CheckKind.VALIDATION,
]

BREAKING = Change(
    Action.DEACTIVATE,
    Kind.MODEL,
    "gpt-4",
    warnings=(WorkflowImpact("model gpt-4", ("bot",), 1),),
    breaking=True,
)
REPOINTS = Change(  # a rename that repoints workflows breaks nothing
    Action.RENAME,
    Kind.MODEL,
    "new",
    warnings=(WorkflowImpact("model new", ("bot",), 1, repoints=True),),
    previous_key="old",
)
REVERTS = Change(
    Action.UPDATE,
    Kind.MODEL,
    "gpt-4o",
    {"context_window": FieldChange(1, 2)},
    (RevertsApplicationEdit("model gpt-4o", (), ("context_window",)),),
)
UNKNOWN = Change(
    Action.UPDATE,
    Kind.CREDENTIAL,
    "c",
    {"api_key": FieldChange(None, None, SecretStatus.UNKNOWN)},
)
DROPS = Change(
    Action.UPDATE,
    Kind.MODEL,
    "a",
    {"credential": FieldChange("c", None)},
    (DropsCredential("model a", "c", ("a",), ("OPENAI_API_KEY",)),),
)
DELETES = Change(
    Action.DELETE,
    Kind.CREDENTIAL,
    "c",
    warnings=(FallsBackToEnvironment("credential c", ("b",), ("OPENAI_API_KEY",)),),
)


def _levels(plan: Plan, allowed: frozenset[str] = frozenset()) -> dict[CheckKind, Level]:
    checks = status_checks(plan, allowed)
    assert [c.kind for c in checks] == ORDER
    return {c.kind: c.level for c in checks}


OK = dict.fromkeys(ORDER, Level.OK)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (Plan(), OK),
        (Plan(changes=[REPOINTS]), OK),
        (
            Plan(changes=[BREAKING, REPOINTS], guards=[Breaking("", ("gpt-4",))]),
            OK | {CheckKind.BREAKING: Level.FAIL},
        ),
        (Plan(guards=[MassRemoval("", 6, 0, 8)]), OK | {CheckKind.MASS_REMOVAL: Level.FAIL}),
        (Plan(changes=[REVERTS]), OK | {CheckKind.REVERTS: Level.WARN}),
        (Plan(changes=[UNKNOWN]), OK | {CheckKind.SECRETS: Level.WARN}),
        # models left to the environment's key, by a dropped or a deleted credential
        (Plan(changes=[DROPS]), OK | {CheckKind.SECRETS: Level.WARN}),
        (Plan(changes=[DELETES]), OK | {CheckKind.SECRETS: Level.WARN}),
        (
            Plan(notes=[SecretsUnreadable("", (("env K", _NOT_SET),))]),
            OK | {CheckKind.SECRETS: Level.WARN},
        ),
        # what every CI plan carries is no warning: the footer says it
        (
            Plan(notes=[SecretsByVersion("", "no-secrets"), SecretNotCompared("", ("c.k",))]),
            OK,
        ),
        (
            Plan(errors=[NotManaged("model m", "model", "m")]),
            OK | {CheckKind.VALIDATION: Level.FAIL},
        ),
    ],
)
def test_each_check_reads_the_plans_records(plan: Plan, expected: dict[CheckKind, Level]) -> None:
    assert _levels(plan) == expected


def test_a_guard_whose_flag_is_given_is_a_warning_and_says_so() -> None:
    plan = Plan(changes=[BREAKING], guards=[Breaking("", ("gpt-4",)), MassRemoval("", 1, 0, 1)])
    [breaking, mass, *_] = status_checks(plan, frozenset({"--allow-breaking"}))
    assert (breaking.level, breaking.allowed, breaking.changes) == (Level.WARN, True, (BREAKING,))
    assert (mass.level, mass.allowed) == (Level.FAIL, False)


def test_the_breaking_check_lists_only_breaking_changes_in_plan_order() -> None:
    other = Change(Action.UPDATE, Kind.MODEL, "m", {"enabled": FieldChange(True, False)})
    disabled = Change(Action.UPDATE, Kind.MODEL, "d", breaking=True)
    plan = Plan(changes=[disabled, other, BREAKING], guards=[Breaking("", ("d", "gpt-4"))])
    assert status_checks(plan)[0].changes == (disabled, BREAKING)


def test_the_secrets_check_lists_the_changes_that_leave_models_to_the_environment() -> None:
    other = Change(Action.UPDATE, Kind.MODEL, "m", {"enabled": FieldChange(True, False)})
    secrets = status_checks(Plan(changes=[DROPS, other, DELETES]))[3]
    assert (secrets.kind, secrets.changes) == (CheckKind.SECRETS, (DROPS, DELETES))


GUARDS = [cls for cls in ALERT_TYPES.values() if issubclass(cls, Guard)]


@pytest.mark.parametrize("guard", GUARDS, ids=lambda cls: cls.FLAG)
def test_each_guards_label_is_the_one_the_workflow_and_docs_name(guard: type[Guard]) -> None:
    label = guard_label(guard.FLAG)
    # action.yml maps a flag to its label by name: --allow-X needs reconciler:allow-X
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert 'f"reconciler:{f[2:]}"' in action
    assert label == "reconciler:" + guard.FLAG[2:]
    assert Breaking("", ()).label == "reconciler:allow-breaking"
    assert f"| `{label}` |" in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def test_a_version_that_could_not_be_looked_up_warns_and_is_not_a_clean_plan() -> None:
    """--no-secrets and DescribeSecret refused: the secrets check warns, naming the reference,
    and ``plan --detailed-exitcode`` exits 2 (apply reads the secret, and fails on it)."""
    denied = SecretFailure(ReadFailure.ACCESS_DENIED, "AWS secret p/k: 403", "403")
    plan = Plan(
        notes=[
            SecretsByVersion("", "no-secrets"),
            SecretVersionsUnchecked("", (("aws_secretsmanager p/k", denied),)),
        ]
    )
    secrets = {c.kind: c for c in status_checks(plan)}[CheckKind.SECRETS]
    assert secrets.level is Level.WARN
    assert secrets.unchecked == ("aws_secretsmanager p/k",)
    assert secrets.unreadable == ()
    assert uncompared_secrets(plan) == 1
    assert changes_possible(plan)
    assert not changes_possible(Plan(notes=[SecretsByVersion("", "no-secrets")]))
