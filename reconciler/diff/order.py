"""Apply order. Dependencies point from models and settings to credentials, so:

1. credentials created or updated      (models may link them)
2. models created, renamed, reactivated or updated
3. settings                            (names the default model and the platform credential)
4. models deactivated
5. credentials deleted                 (nothing active links them any more)

Within a step, changes are sorted by key in natural order (digits compared as numbers:
model-8 before model-79), then by the key's text, so plans are stable across runs.
"""

from __future__ import annotations

import re

from reconciler.plan.model import Change, apply_step

_DIGITS = re.compile(r"(\d+)")


def step(change: Change) -> int:
    return apply_step(change)


def natural_key(key: str) -> tuple[list[str | int], str]:
    """Text and digit runs alternate in the split, so the lists always compare like with
    like; the key itself breaks ties (b-08 / b-8)."""
    parts: list[str | int] = [
        int(part) if i % 2 else part for i, part in enumerate(_DIGITS.split(key))
    ]
    return parts, key


def order_changes(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (step(c), natural_key(c.key)))
