from __future__ import annotations

import sys
from typing import TextIO

from reconciler import pipeline
from reconciler.db.engine import safe_url, url_has_secret
from reconciler.diff.diff import DiffOptions
from reconciler.render.plan import render_plan


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
) -> int:
    out = sys.stdout if out is None else out
    options = DiffOptions(adopt=adopt, prune=not no_prune)
    planned = pipeline.plan(
        pipeline.load(catalog_dir, environment), db_url, options=options, no_secrets=no_secrets
    )
    out.write(render_plan(planned.plan, fmt, color=color))
    # The notice goes with the plan in text; beside JSON or Markdown it would corrupt them.
    notice = out if fmt == "text" else sys.stderr
    if out_file is not None and planned.plan.errors:
        # apply would refuse it: a file that looks ready to apply only invites the attempt
        notice.write(f"\nThe plan was not saved to {out_file}: it has errors (see above).\n")
    elif out_file is not None:
        # imported only when saving: a plain plan does not load the plan file's writer
        from reconciler.plan.planfile import write_plan_file
        from reconciler.render.plan_json import plan_to_dict
        from reconciler.render.view import required_flags

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
