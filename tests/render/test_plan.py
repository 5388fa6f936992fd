from __future__ import annotations

import json

import pytest
from plans import full_plan

from reconciler.render.plan import render_plan
from reconciler.render.plan_json import render_json
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text

ALLOWED = frozenset({"--allow-breaking"})


def test_each_format_goes_to_its_renderer() -> None:
    plan = full_plan()
    assert render_plan(plan, "json") == render_json(plan)
    assert render_plan(plan, "markdown") == render_markdown(plan)
    assert render_plan(plan, "text") == render_text(plan)
    assert render_plan(plan, "text", color=True) == render_text(plan, color=True)


@pytest.mark.parametrize(
    ("fmt", "needed", "approved"),
    [
        ("text", "to break them on purpose", "approved: apply with --allow-breaking"),
        ("markdown", "add the label", "approved by the label"),
    ],
)
def test_allowed_flags_reach_the_renderer(fmt: str, needed: str, approved: str) -> None:
    """What apply --allow-breaking prints before applying: nothing left to approve."""
    default = render_plan(full_plan(), fmt)
    allowed = render_plan(full_plan(), fmt, allowed=ALLOWED)
    assert needed in default
    assert needed not in allowed
    assert approved in allowed
    assert approved not in default


def test_allowed_flags_reach_json() -> None:
    data = json.loads(render_plan(full_plan(), "json", allowed=ALLOWED))
    assert [g["allowed"] for g in data["guards"]] == [True]
