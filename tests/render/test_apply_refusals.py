"""The words of apply: each refusal record says what is wrong and what to do, as the error
kind the CLI maps to its exit code."""

from __future__ import annotations

import pytest

from reconciler.errors import DatabaseError, PlanError, ReconcilerError
from reconciler.plan import refusals as r
from reconciler.render.apply import applied, refused

AGAIN = "run 'reconciler plan' again and review the new plan"


@pytest.mark.parametrize(
    ("refusal", "message", "hint"),
    [
        (
            r.OptionsDiffer("p.json", "cat", ("--no-prune", "--adopt"), ("--adopt", "--no-prune")),
            "--no-prune and --adopt cannot change a saved plan: p.json was made without them "
            "and applies exactly what it shows",
            "make a new plan with 'reconciler plan --catalog cat --adopt --no-prune --out FILE' "
            "and apply that",
        ),
        (
            r.OtherEnvironment("p.json", "", "prod"),
            "p.json is a plan for the base catalog, not for environment 'prod'",
            "apply the plan made for this environment: "
            "'reconciler plan --environment prod --out FILE'",
        ),
        (
            r.OtherRegistry("a1", "b2"),
            "the plan was made against another registry (id a1), not this one (id b2)",
            "check --db / REGISTRY_DATABASE_URL, or run 'reconciler plan --out FILE' against "
            "this registry",
        ),
        (
            r.BoundElsewhere("prod", ""),
            "this registry is bound to environment 'prod'; refusing to apply the base catalog "
            "to it",
            "check --db / REGISTRY_DATABASE_URL and --environment; to move the registry to this "
            "environment on purpose, rerun with --rebind-environment",
        ),
        (
            r.StaleCatalog("cat"),
            "plan is stale: the catalog in cat changed since the plan was made",
            "run 'reconciler plan --out FILE' again",
        ),
        (
            r.StaleRegistry(3, 5),
            "plan is stale: the registry changed since the plan was made (revision 3 -> 5)",
            AGAIN,
        ),
        (
            r.StaleSecrets(("c.api_key",)),
            "plan is stale: secret c.api_key changed since the plan was made",
            AGAIN,
        ),
        (
            r.StaleSecrets(("c.a", "d.b")),
            "plan is stale: secrets c.a, d.b changed since the plan was made",
            AGAIN,
        ),
        (
            r.StaleChanges(),
            "plan is stale: applying now would make different changes than the plan shows "
            "(a secret or the registry changed)",
            AGAIN,
        ),
        (
            r.AlreadyApplied(7, 9),
            "this plan was already applied (audit run #7); the registry is now at revision 9",
            "for further changes, run 'reconciler plan --out FILE' again",
        ),
    ],
)
def test_each_refusal_is_a_plan_error_with_a_hint(
    refusal: r.Refusal, message: str, hint: str
) -> None:
    error = refused(refusal)
    assert isinstance(error, PlanError)
    assert (error.message, error.hint) == (message, hint)


@pytest.mark.parametrize(
    ("refusal", "message", "hint"),
    [
        (
            r.BoundElsewhere("production", "staging", r.Purpose.LIST),
            "this registry belongs to environment 'production', not environment 'staging'",
            "to list its models, pass --environment production; for the registry of "
            "environment 'staging', pass its --db (or set REGISTRY_DATABASE_URL)",
        ),
        (
            r.BoundElsewhere("", "staging", r.Purpose.EXPORT),
            "this registry belongs to the base catalog, not environment 'staging'",
            "to export it, leave out --environment; for the registry of environment "
            "'staging', pass its --db (or set REGISTRY_DATABASE_URL)",
        ),
        (
            r.BoundElsewhere("production", "", r.Purpose.TEST_CHANGED),
            "this registry belongs to environment 'production', not the base catalog",
            "to test what a plan changes in it, pass --environment production; for the base "
            "catalog's registry, pass its --db (or set REGISTRY_DATABASE_URL)",
        ),
    ],
)
def test_read_only_commands_are_pointed_at_the_right_registry(
    refusal: r.BoundElsewhere, message: str, hint: str
) -> None:
    """Only apply can re-bind: a read-only command never suggests the flag it lacks."""
    error = refused(refusal)
    assert isinstance(error, DatabaseError)
    assert (error.message, error.hint) == (message, hint)
    assert "rebind" not in str(error)


def test_every_purpose_has_its_words() -> None:
    for purpose in r.Purpose:
        error = refused(r.BoundElsewhere("production", "staging", purpose))
        assert ("--rebind-environment" in str(error)) is (purpose is r.Purpose.APPLY)


def test_needing_confirmation_is_not_a_plan_error() -> None:
    error = refused(r.NeedsConfirmation())
    assert type(error) is ReconcilerError
    assert error.message.startswith("apply needs confirmation")


def test_applied_names_what_was_done() -> None:
    done = applied({"create": 2, "update": 0, "deactivate": 1}, 4, 5, 12)
    assert (
        done
        == "\nApply complete: 2 created, 1 deactivated. Registry revision 4 -> 5, audit run #12.\n"
    )
    assert "no changes" in applied({"create": 0}, 4, 4, 13)
