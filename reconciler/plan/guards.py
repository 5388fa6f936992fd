"""Safety guards: plans that apply refuses unless the user says so explicitly.

Unlike Terraform's prevent_destroy, these judge the plan itself, so deleting the catalog (an
empty or broken checkout) is exactly what trips them.
"""

from __future__ import annotations

from reconciler.plan.model import Action, Change, Guard, Kind
from reconciler.state.live import LiveState
from reconciler.words import plural

MASS_REMOVAL_SHARE = 0.25
MASS_REMOVAL_MIN = 5
BREAKING_FLAG = "--allow-breaking"
MASS_REMOVAL_FLAG = "--allow-mass-removal"


def evaluate_guards(changes: list[Change], live: LiveState) -> list[Guard]:
    guards: list[Guard] = []
    managed_active = sum(1 for m in live.models.values() if m.managed and m.active)
    removed = sum(1 for c in changes if c.kind is Kind.MODEL and c.action is Action.DEACTIVATE)
    if removed and (
        removed == managed_active
        or (removed > MASS_REMOVAL_MIN and removed > MASS_REMOVAL_SHARE * managed_active)
    ):
        share = "all" if removed == managed_active else f"{removed / managed_active:.0%}"
        guards.append(
            Guard(
                "mass-removal",
                f"the plan deactivates {removed} of {plural(managed_active, 'managed model')} "
                f"({share}); is the catalog checkout complete?",
                MASS_REMOVAL_FLAG,
            )
        )
    breaking = [c for c in changes if c.breaking]
    if breaking:
        keys = ", ".join(c.key for c in breaking[:5]) + (", ..." if len(breaking) > 5 else "")
        # the verb agrees with the count: "1 change deactivates", "2 changes deactivate"
        verb = "deactivates or disables" if len(breaking) == 1 else "deactivate or disable"
        guards.append(
            Guard(
                "breaking",
                f"{plural(len(breaking), 'change')} {verb} models that active workflows use: "
                f"{keys}",
                BREAKING_FLAG,
            )
        )
    return guards
