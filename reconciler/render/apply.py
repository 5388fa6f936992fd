"""The words of apply: why it refuses (reconciler.plan.refusals, raised as the error the CLI
prints), what it did, and what it says when cancelled. A registry bound to another
environment refuses the read-only commands too: their words are here, beside apply's."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import DatabaseError, PlanError, ReconcilerError, SecretError
from reconciler.plan.model import Plan
from reconciler.plan.refusals import (
    AlreadyApplied,
    BoundElsewhere,
    NeedsConfirmation,
    OptionsDiffer,
    OtherEnvironment,
    OtherRegistry,
    Purpose,
    Refusal,
    StaleCatalog,
    StaleChanges,
    StaleRegistry,
    StaleSecrets,
)
from reconciler.render.alerts import environment_name
from reconciler.render.plan_text import change_lines, refusal_message
from reconciler.secrets.crypto import KEY_ENV

CANCELLED = "Apply cancelled; nothing was changed.\n"
_PLAN_AGAIN = "run 'reconciler plan' again and review the new plan"


def refused(refusal: Refusal) -> ReconcilerError:
    """The error apply raises for ``refusal``: what is wrong, and what to do."""
    match refusal:
        case OptionsDiffer(planfile, catalog_dir, differ, wanted):
            return PlanError(
                f"{' and '.join(differ)} cannot change a saved plan: {planfile} was made without "
                f"{'them' if len(differ) > 1 else 'it'} and applies exactly what it shows",
                hint=f"make a new plan with 'reconciler plan --catalog {catalog_dir} "
                f"{' '.join(wanted)} --out FILE' and apply that",
            )
        case OtherEnvironment(planfile, planned, asked):
            return PlanError(
                f"{planfile} is a plan for {environment_name(planned)}, not for "
                f"{environment_name(asked)}",
                hint="apply the plan made for this environment: 'reconciler plan --environment "
                f"{asked} --out FILE'",
            )
        case OtherRegistry(planned, actual):
            return PlanError(
                f"the plan was made against another registry (id {planned}), "
                f"not this one (id {actual})",
                hint="check --db / REGISTRY_DATABASE_URL, or run 'reconciler plan --out FILE' "
                "against this registry",
            )
        case BoundElsewhere(bound, environment, Purpose.APPLY):
            return PlanError(
                f"this registry is bound to {environment_name(bound)}; refusing to apply "
                f"{environment_name(environment)} to it",
                hint="check --db / REGISTRY_DATABASE_URL and --environment; to move the registry "
                "to this environment on purpose, rerun with --rebind-environment",
            )
        case BoundElsewhere(bound, environment, purpose):
            return _read_elsewhere(bound, environment, purpose)
        case StaleCatalog(catalog_dir):
            return PlanError(
                f"plan is stale: the catalog in {catalog_dir} changed since the plan was made",
                hint="run 'reconciler plan --out FILE' again",
            )
        case StaleRegistry(before, after):
            return PlanError(
                f"plan is stale: the registry changed since the plan was made "
                f"(revision {before} -> {after})",
                hint=_PLAN_AGAIN,
            )
        case StaleSecrets(names):
            noun = "secret" if len(names) == 1 else "secrets"
            return PlanError(
                f"plan is stale: {noun} {', '.join(names)} changed since the plan was made",
                hint=_PLAN_AGAIN,
            )
        case StaleChanges():
            return PlanError(
                "plan is stale: applying now would make different changes than the plan "
                "shows (a secret or the registry changed)",
                hint=_PLAN_AGAIN,
            )
        case AlreadyApplied(run, revision):
            return PlanError(
                f"this plan was already applied (audit run #{run}); the registry is "
                f"now at revision {revision}",
                hint="for further changes, run 'reconciler plan --out FILE' again",
            )
        case NeedsConfirmation():
            return ReconcilerError(
                "apply needs confirmation: run it in a terminal, or pass --auto-approve",
                hint="in CI, apply a reviewed plan file or pass --auto-approve",
            )


# what a read-only command would do with the registry, in its hint
_READ = {
    Purpose.LIST: "list its models",
    Purpose.EXPORT: "export it",
    Purpose.TEST_CHANGED: "test what a plan changes in it",
    Purpose.DRIFT: "check its drift",
}


def _read_elsewhere(bound: str, environment: str, purpose: Purpose) -> ReconcilerError:
    """A read-only command asked for ``environment``'s registry and got ``bound``'s: it
    cannot re-bind (only apply can), so it points at the registry that was meant."""
    mine = (
        f"the registry of environment '{environment}'"
        if environment
        else "the base catalog's registry"
    )
    this = f"pass --environment {bound}" if bound else "leave out --environment"
    return DatabaseError(
        f"this registry belongs to {environment_name(bound)}, not {environment_name(environment)}",
        hint=f"to {_READ[purpose]}, {this}; for {mine}, pass its --db (or set "
        "REGISTRY_DATABASE_URL)",
    )


def applied(
    summary: Mapping[str, int],
    before: int,
    after: int,
    run_id: int,
    rebind: tuple[str, str] | None = None,
) -> str:
    """The last line of a successful apply: what it did, the revisions and the audit run;
    ``rebind`` (from, to): the registry's environment binding it moved."""
    done = ", ".join(f"{n} {action}d" for action, n in summary.items() if n)
    moved = ""
    if rebind is not None:
        old, new = (environment_name(name) for name in rebind)
        moved = (
            f"The registry was re-bound from {old} to {new}: applying {old} to it is refused "
            "from now on (unless re-bound again).\n"
        )
    return (
        f"\nApply complete: {done or 'no changes'}. Registry revision "
        f"{before} -> {after}, audit run #{run_id}.\n{moved}"
    )


def applied_changes(plan: Plan, *, color: bool = False) -> str:
    """What applying a saved plan changed, in the text plan's lines but in the order apply
    wrote them: the plan was reviewed before, but secrets it could not compare were read
    and may have been written."""
    if not plan.changes:
        return ""
    return "Applied:\n" + "\n".join(change_lines(plan, color=color)) + "\n"


def refusal(plan: Plan, allowed: frozenset[str]) -> PlanError | None:
    """Why apply refuses the plan (its errors, or guards whose flag was not given), or None."""
    message = refusal_message(plan, allowed)
    if message is None:
        return None
    refused = plan.refused_by(set(allowed))
    if plan.errors or not refused:
        return PlanError(message)
    flags = " ".join(sorted({g.flag for g in refused}))
    return PlanError(message, hint=f"if this is intended, rerun with {flags}")


def missing_key(key_ids: list[str]) -> SecretError:
    """No key is set but the registry stores secrets: only their key will do. A new one from
    'reconciler keygen' could not decrypt them, so that hint would send the user astray."""
    ids = ", ".join(key_ids)
    return SecretError(
        f"{KEY_ENV} is not set, and the registry's secrets are encrypted under key id(s) {ids}",
        hint=f"set {KEY_ENV} to that key (the one the application uses); a new key from "
        "'reconciler keygen' cannot decrypt them",
    )
