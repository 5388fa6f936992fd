"""Apply order. Dependencies point from models and settings to credentials, so:

1. credentials created or updated      (models may link them)
2. models created, renamed, reactivated or updated
3. settings                            (names the default model and the platform credential)
4. models deactivated
5. credentials deleted                 (nothing active links them any more)

Within a step, changes are sorted by key so plans are stable across runs.
"""

from __future__ import annotations

from reconciler.plan.model import Action, Change, Kind

_REMOVALS = (Action.DEACTIVATE, Action.DELETE)


def step(change: Change) -> int:
    if change.action in _REMOVALS:
        return 5 if change.kind is Kind.CREDENTIAL else 4
    return {Kind.CREDENTIAL: 1, Kind.MODEL: 2, Kind.SETTINGS: 3}[change.kind]


def order_changes(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (step(c), c.key))
