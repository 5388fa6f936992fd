"""Infer fixes for breaking changes (reconciler.plan.fixes): a model that leaves the catalog
while active workflows use it, and a model the same plan creates that looks like its
replacement. ``previous_slugs`` on the replacement turns the pair into a rename, which keeps
the row and repoints the workflows.

The replacement is the created model with the same provider and model_id (the model itself
under a new slug), else the one of the same provider whose slug or display name is closest,
if close enough. Only breaking deactivations get one: a disable keeps its slug, so there is
no replacement to name.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher
from typing import Any

from reconciler.plan.fixes import PreviousSlugs
from reconciler.plan.model import Action, Change, Kind
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveState

# How alike two names must be (difflib's ratio) for "similar-name": gpt-4o-mini and
# gpt-4o-mini-2 are (0.96); gpt-4 and gpt-4o-mini are not (0.62).
SIMILAR = 0.8


def _model_id(values: Any) -> tuple[Any, Any]:
    """Provider and model_id, the model_id without a leading ``provider/`` (both spellings
    name the same model)."""
    provider, model_id = values.get("provider"), values.get("model_id")
    if isinstance(model_id, str) and isinstance(provider, str):
        model_id = model_id.removeprefix(f"{provider}/")
    return provider, model_id


def _likeness(a: Any, b: Any) -> float:
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return 0.0
    return SequenceMatcher(None, a.lower(), b.lower()).ratio()


def _replacement(old: Any, created: list[tuple[str, Any]], slug: str) -> PreviousSlugs | None:
    ident = _model_id(old)
    same = [new for new, values in created if ident[1] is not None and _model_id(values) == ident]
    if same:
        return PreviousSlugs(same[0], slug, "same-model-id")
    scored = []
    for new, values in created:
        if values.get("provider") != old.get("provider"):
            continue
        score = max(
            _likeness(new, slug), _likeness(values.get("display_name"), old.get("display_name"))
        )
        if score >= SIMILAR:
            scored.append((-score, new))
    if not scored:
        return None
    return PreviousSlugs(min(scored)[1], slug, "similar-name")


def with_fixes(changes: list[Change], desired: DesiredState, live: LiveState) -> list[Change]:
    """``changes`` with a ``previous_slugs`` fix on each breaking deactivation that a created
    model looks like the replacement of (the list itself when there is none)."""
    breaking = [
        c for c in changes if c.breaking and c.kind is Kind.MODEL and c.action is Action.DEACTIVATE
    ]
    created = [
        (c.key, desired.models[c.key])
        for c in changes
        if c.kind is Kind.MODEL and c.action is Action.CREATE and c.key in desired.models
    ]
    if not breaking or not created:
        return changes
    fixes = {}
    for change in breaking:
        fix = _replacement(live.models[change.key].state, created, change.key)
        if fix is not None:
            fixes[change.key] = fix
    if not fixes:
        return changes
    return [
        replace(c, fixes=(*c.fixes, fixes[c.key]))
        if c.breaking and c.action is Action.DEACTIVATE and c.kind is Kind.MODEL and c.key in fixes
        else c
        for c in changes
    ]
