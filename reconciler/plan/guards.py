"""Safety guards: plans that apply refuses unless the user says so explicitly.

Unlike Terraform's prevent_destroy, these judge the plan itself, so deleting the catalog (an
empty or broken checkout) is exactly what trips them. Disabling a model takes it out of
service as surely as deactivating it, so the mass-removal guard counts both.
"""

from __future__ import annotations

from reconciler.plan.alerts import Breaking, Guard, MassRemoval
from reconciler.plan.model import Action, Change, Kind
from reconciler.state.live import LiveState

MASS_REMOVAL_SHARE = 0.25
MASS_REMOVAL_MIN = 5
BREAKING_FLAG = Breaking.FLAG
MASS_REMOVAL_FLAG = MassRemoval.FLAG


def allowed_flags(allow_breaking: bool, allow_mass_removal: bool) -> frozenset[str]:
    """The guard flags given (plan and apply take the same ones)."""
    flags = set()
    if allow_breaking:
        flags.add(BREAKING_FLAG)
    if allow_mass_removal:
        flags.add(MASS_REMOVAL_FLAG)
    return frozenset(flags)


def disables(change: Change) -> bool:
    """Whether a change of an active model turns ``enabled`` from true to false."""
    if change.kind is not Kind.MODEL or change.action not in (Action.UPDATE, Action.RENAME):
        return False
    enabled = change.fields.get("enabled")
    return enabled is not None and enabled.before is True and enabled.after is False


def evaluate_guards(changes: list[Change], live: LiveState) -> list[Guard]:
    guards: list[Guard] = []
    managed_active = sum(1 for m in live.models.values() if m.managed and m.active)
    deactivated = sum(1 for c in changes if c.kind is Kind.MODEL and c.action is Action.DEACTIVATE)
    disabled = sum(1 for c in changes if disables(c))
    removed = deactivated + disabled
    if removed and (
        removed >= managed_active
        or (removed > MASS_REMOVAL_MIN and removed > MASS_REMOVAL_SHARE * managed_active)
    ):
        guards.append(MassRemoval("", deactivated, disabled, managed_active))
    breaking = [c.key for c in changes if c.breaking]
    if breaking:
        guards.append(Breaking("", tuple(breaking)))
    return guards
