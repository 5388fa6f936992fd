"""One entry point for rendering a plan in any of its formats (text, markdown, json)."""

from __future__ import annotations

from reconciler.plan.model import Plan


def render_plan(
    plan: Plan, fmt: str, *, color: bool = False, allowed: frozenset[str] = frozenset()
) -> str:
    """``plan`` as ``fmt`` (anything else is text). ``allowed`` holds the guard flags apply
    was given (``--allow-breaking``): those guards are shown as allowed, not as refusing.
    ``color`` only affects text."""
    # Renderers are imported when used: a command pays only for the format it prints.
    if fmt == "json":
        from reconciler.render.plan_json import render_json

        return render_json(plan, allowed=allowed)
    if fmt == "markdown":
        from reconciler.render.plan_markdown import render_markdown

        return render_markdown(plan, allowed=allowed)
    from reconciler.render.plan_text import render_text

    return render_text(plan, color=color, allowed=allowed)
