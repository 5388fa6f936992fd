from __future__ import annotations

import sys
from typing import TextIO

from reconciler import pipeline
from reconciler.commands.target import allowed_flags, plan_target
from reconciler.db.engine import safe_url, url_has_secret
from reconciler.diff.diff import DiffOptions
from reconciler.plan.planfile import write_plan_file
from reconciler.render.plan import render_plan
from reconciler.render.plan_json import plan_to_dict
from reconciler.render.view import required_flags


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
    db_in_hint: bool = False,
    environment: str | None = None,
    commit: str | None = None,
    allow_breaking: bool = False,
    allow_mass_removal: bool = False,
) -> int:
    """``allow_*``: show those guards as approved (what apply given the flags would do); the
    plan itself, and a saved plan, are the same either way."""
    out = sys.stdout if out is None else out
    allowed = allowed_flags(allow_breaking, allow_mass_removal)
    options = DiffOptions(adopt=adopt, prune=not no_prune)
    target = plan_target(catalog_dir, db_url, commit)
    planned = pipeline.plan(
        pipeline.load(catalog_dir, environment), db_url, options=options, no_secrets=no_secrets
    )
    planned.plan.target = target
    out.write(render_plan(planned.plan, fmt, color=color, allowed=allowed))
    # The notice goes with the plan in text; beside JSON or Markdown it would corrupt them.
    notice = out if fmt == "text" else sys.stderr
    if out_file is not None and planned.plan.errors:
        # apply would refuse it: a file that looks ready to apply only invites the attempt
        notice.write(f"\nThe plan was not saved to {out_file}: it has errors (see above).\n")
    elif out_file is not None:
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
            # a URL with a password is not repeated (it would land in CI logs): name it instead
            shown = "'<the same --db URL>'" if url_has_secret(db_url) else safe_url(db_url)
            db = f" --db {shown}" if db_in_hint else ""
            out.write(
                f"\nSaved the plan to {out_file}; apply it with: "
                f"reconciler apply {out_file}{db}{flags}\n"
            )
    if planned.plan.errors:
        return 1
    return 2 if detailed_exitcode and planned.plan.has_changes else 0
