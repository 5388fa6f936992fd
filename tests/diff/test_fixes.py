"""Fix suggestions for breaking changes (reconciler.diff.fixes), through the whole diff."""

from __future__ import annotations

import pytest
from test_diff import desired, live, live_model, model

from reconciler.diff.diff import diff
from reconciler.plan.alerts import LikelyRename
from reconciler.plan.fixes import PreviousSlugs
from reconciler.plan.model import Action, Change, Plan
from reconciler.state.live import WorkflowRefs

USED = WorkflowRefs(2, ("support-bot", "triage"))


def _removal(plan: Plan, slug: str) -> Change:
    return next(c for c in plan.changes if c.key == slug and c.action is Action.DEACTIVATE)


@pytest.mark.parametrize(
    ("old_id", "new_id"),
    [("gpt-x", "gpt-x"), ("openai/gpt-x", "gpt-x"), ("gpt-x", "openai/gpt-x")],
)
def test_a_created_model_with_the_same_model_id_is_the_fix(old_id: str, new_id: str) -> None:
    """The provider's prefix on a model_id names the same model."""
    plan = diff(
        desired(model("gpt-x-2025", display_name="Renamed", model_id=new_id)),
        live(live_model("gpt-x", display_name="Old", model_id=old_id), refs={"gpt-x": USED}),
    )
    removal = _removal(plan, "gpt-x")
    assert removal.breaking
    assert removal.fixes == (PreviousSlugs("gpt-x-2025", "gpt-x", "same-model-id"),)


def test_a_similar_slug_of_the_same_provider_is_the_fix() -> None:
    plan = diff(
        desired(
            model("claude-3-opus-v2", display_name="Opus two", model_id="claude-3-opus-2"),
            model("unrelated", display_name="Something else", model_id="u"),
        ),
        live(
            live_model("claude-3-opus", display_name="Opus", model_id="claude-3-opus-1"),
            refs={"claude-3-opus": USED},
        ),
    )
    fix = PreviousSlugs("claude-3-opus-v2", "claude-3-opus", "similar-name")
    assert _removal(plan, "claude-3-opus").fixes == (fix,)


@pytest.mark.parametrize(
    ("slug", "values"),
    [
        # the same model_id, but another provider: another model
        ("gpt-x-2025", {"provider": "azure", "display_name": "Other", "model_id": "gpt-x"}),
        # the same provider, but nothing alike
        ("llama-guard", {"display_name": "Guard", "model_id": "guard"}),
    ],
)
def test_no_fix_without_a_likely_replacement(slug: str, values: dict[str, str]) -> None:
    plan = diff(
        desired(model(slug, **values)),
        live(live_model("gpt-x", display_name="Old", model_id="gpt-x"), refs={"gpt-x": USED}),
    )
    removal = _removal(plan, "gpt-x")
    assert removal.breaking
    assert removal.fixes == ()


def test_only_breaking_deactivations_get_a_fix() -> None:
    """Without workflows the removal breaks nothing: the likely-rename note says it."""
    plan = diff(
        desired(model("gpt-x-2025", display_name="New", model_id="gpt-x")),
        live(live_model("gpt-x", display_name="Old", model_id="gpt-x")),
    )
    assert _removal(plan, "gpt-x").fixes == ()
    assert plan.notes == [LikelyRename("model gpt-x-2025", "gpt-x", "gpt-x-2025")]


def test_a_breaking_disable_keeps_its_slug_and_gets_no_fix() -> None:
    plan = diff(
        desired(model("gpt-x", enabled=False), model("gpt-x-2", display_name="New")),
        live(live_model("gpt-x"), refs={"gpt-x": USED}),
    )
    disable = next(c for c in plan.changes if c.key == "gpt-x")
    assert disable.breaking
    assert disable.action is Action.UPDATE
    assert disable.fixes == ()
