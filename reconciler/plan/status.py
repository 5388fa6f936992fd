"""The plan's status checks, Atlas style: one verdict per concern a reviewer approves a
change on (breaking changes, mass removal, reverts of application edits, secrets,
validation), computed from the plan's typed changes and alerts, never from words.

Each check says ``ok``, ``warn`` or ``fail`` and what it is about; renderers
(reconciler.render.status) say what to do, including the label that approves a guard.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.plan.alerts import (
    AlertKind,
    DropsCredential,
    FallsBackToEnvironment,
    Guard,
    RevertsApplicationEdit,
    SecretNotCompared,
    SecretsUnreadable,
    SecretVersionsUnchecked,
)
from reconciler.plan.model import Action, Change, Plan, SecretStatus


class CheckKind(enum.StrEnum):
    BREAKING = "breaking"
    MASS_REMOVAL = "mass-removal"
    REVERTS = "reverts"
    SECRETS = "secrets"
    VALIDATION = "validation"


class Level(enum.StrEnum):
    OK = "ok"
    WARN = "warn"  # a reviewer should look; apply does not refuse
    FAIL = "fail"  # apply refuses: errors, or a guard whose flag was not given


@dataclass(frozen=True)
class Check:
    """One check. ``changes``: the changes it is about (breaking ones, ones that revert an
    application edit, ones that leave models to the environment's key), in plan order;
    ``secrets``: ``credential.field`` names whose value may have changed unseen;
    ``unreadable``: references that could not be read; ``unchecked``: references whose value
    was not read and whose source version could not be looked up; ``guard``: the tripped guard (its
    flag, and label, approve it) and ``allowed`` whether its flag was given; ``errors``: how
    many errors block the plan."""

    kind: CheckKind
    level: Level
    changes: tuple[Change, ...] = ()
    secrets: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    guard: Guard | None = None
    allowed: bool = False
    errors: int = 0
    unchecked: tuple[str, ...] = ()


def _guarded(plan: Plan, kind: CheckKind, alert: AlertKind, allowed: frozenset[str]) -> Check:
    guard = next((g for g in plan.guards if g.kind is alert), None)
    if guard is None:
        return Check(kind, Level.OK)
    given = guard.flag in allowed
    changes = tuple(c for c in plan.changes if c.breaking) if kind is CheckKind.BREAKING else ()
    return Check(kind, Level.WARN if given else Level.FAIL, changes, guard=guard, allowed=given)


def _reverts(plan: Plan) -> Check:
    changes = tuple(
        c for c in plan.changes if any(isinstance(w, RevertsApplicationEdit) for w in c.warnings)
    )
    return Check(CheckKind.REVERTS, Level.WARN if changes else Level.OK, changes)


def _secrets(plan: Plan) -> Check:
    """Warn about what the reviewer cannot see and apply may trip on: a secret whose value
    may have changed although its reference did not (``unknown``), secrets that could not
    be read here, and secrets whose source version could not be looked up (a CI plan's only
    sign that apply will be refused access, or will not find them); and the changes that
    leave models without the credential their key came from (a credential deleted or
    dropped): at runtime they read the application's environment.
    Secrets never read at all (every CI plan) are the plan's footer note."""
    fallbacks = tuple(c for c in plan.changes if _falls_back(c))
    unknown = [
        f"{c.key}.{path}"
        for c in plan.changes
        if c.action is not Action.CREATE
        for path, fc in c.fields.items()
        if fc.secret is SecretStatus.UNKNOWN and fc.ref is None
    ]
    unreadable = tuple(
        ref for n in plan.notes if isinstance(n, SecretsUnreadable) for ref, _ in n.secrets
    )
    unchecked = tuple(
        ref for n in plan.notes if isinstance(n, SecretVersionsUnchecked) for ref, _ in n.secrets
    )
    level = Level.WARN if unknown or unreadable or unchecked or fallbacks else Level.OK
    return Check(
        CheckKind.SECRETS,
        level,
        fallbacks,
        secrets=tuple(unknown),
        unreadable=unreadable,
        unchecked=unchecked,
    )


def _falls_back(change: Change) -> bool:
    return any(isinstance(w, FallsBackToEnvironment | DropsCredential) for w in change.warnings)


def uncompared_secrets(plan: Plan) -> int:
    """How many secrets the plan could not compare (values not read or unreadable here, and
    no source version to go by), and how many could not be read or have a version that
    could not be looked up (said apart, never among the former): apply reads them and may
    write them (or fails reading them) although the plan shows no change for them."""
    names = {s for n in plan.notes if isinstance(n, SecretNotCompared) for s in n.secrets}
    check = _secrets(plan)
    return len(names) + len({*check.unreadable, *check.unchecked})


def changes_possible(plan: Plan) -> bool:
    """Apply may change the registry: the plan has changes, or secrets it could not compare,
    including those whose source version could not be looked up (``plan --detailed-exitcode``
    exits 2 for either)."""
    return plan.has_changes or uncompared_secrets(plan) > 0


def status_checks(plan: Plan, allowed: frozenset[str] = frozenset()) -> list[Check]:
    """The checks in the order a reviewer reads them: what breaks first, validation last."""
    return [
        _guarded(plan, CheckKind.BREAKING, AlertKind.BREAKING, allowed),
        _guarded(plan, CheckKind.MASS_REMOVAL, AlertKind.MASS_REMOVAL, allowed),
        _reverts(plan),
        _secrets(plan),
        Check(
            CheckKind.VALIDATION,
            Level.FAIL if plan.errors else Level.OK,
            errors=len(plan.errors),
        ),
    ]
