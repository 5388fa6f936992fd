from __future__ import annotations

import sys
from typing import TextIO

from reconciler.diff.diff import DiffOptions
from reconciler.plan.build import make_plan
from reconciler.plan.model import Plan
from reconciler.plan.planfile import write_plan_file
from reconciler.render.plan_json import plan_to_dict
from reconciler.render.plan_text import required_flags


def render_plan(plan: Plan, fmt: str, *, color: bool) -> str:
    if fmt == "json":
        from reconciler.render.plan_json import render_json

        return render_json(plan)
    if fmt == "markdown":
        from reconciler.render.plan_markdown import render_markdown

        return render_markdown(plan)
    from reconciler.render.plan_text import render_text

    return render_text(plan, color=color)


def plan(
    catalog_dir: str,
    db_url: str,
    fmt: str,
    out_file: str | None,
    detailed_exitcode: bool,
    no_secrets: bool,
    adopt: bool,
    no_prune: bool,
    color: bool = False,
    out: TextIO | None = None,
) -> int:
    out = sys.stdout if out is None else out
    options = DiffOptions(adopt=adopt, prune=not no_prune)
    planned = make_plan(catalog_dir, db_url, options=options, no_secrets=no_secrets)
    out.write(render_plan(planned.plan, fmt, color=color))
    if out_file is not None:
        write_plan_file(
            out_file,
            planned.plan,
            planned.stamped.desired,
            options,
            catalog_dir,
            plan_to_dict(planned.plan),
        )
        if fmt == "text":
            flags = "".join(f" {flag}" for flag in required_flags(planned.plan))
            out.write(
                f"\nSaved the plan to {out_file}; apply it with: "
                f"reconciler apply {out_file}{flags}\n"
            )
    if planned.plan.errors:
        return 1
    return 2 if detailed_exitcode and planned.plan.has_changes else 0
