"""One entry point for rendering a plan in any of its formats (text, markdown, json)."""

from __future__ import annotations

from reconciler.errors import OutputError
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


SPLIT_NEEDS_MARKDOWN = (
    "--split-dir writes the plan as pull request comments: it needs --format markdown"
)


def out_not_a_file(out_file: str, kind: str) -> OutputError:
    """plan --out names something that is not a file (/dev/null, a FIFO): refused before the
    plan is made, in litellm-config's words for the same mistake."""
    return OutputError(
        f"--out {out_file} is {kind}, not a regular file; nothing was written",
        hint="name a file for the plan, e.g. --out plan.json (without --out the plan is only "
        "printed)",
    )


def not_saved(out_file: str) -> str:
    """plan --out refused to save a plan with errors: apply would refuse it, and a file that
    looks ready to apply only invites the attempt."""
    return f"\nThe plan was not saved to {out_file}: it has errors (see above).\n"


def saved(plan: Plan, out_file: str, db_url: str, *, db_in_hint: bool) -> str:
    """Where the plan was saved, and the apply command line that applies it (with the flags
    its guards need, and ``--db`` when it was given on the command line)."""
    from reconciler.db.engine import safe_url, url_has_secret
    from reconciler.render.view import required_flags

    flags = "".join(f" {flag}" for flag in required_flags(plan))
    # a URL with a password is not repeated (it would land in CI logs): name it instead
    shown = "'<the same --db URL>'" if url_has_secret(db_url) else safe_url(db_url)
    db = f" --db {shown}" if db_in_hint else ""
    return (
        f"\nSaved the plan to {out_file}; apply it with: reconciler apply {out_file}{db}{flags}\n"
    )
