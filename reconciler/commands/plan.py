from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from reconciler import pipeline
from reconciler.diff.diff import DiffOptions
from reconciler.errors import CatalogInvalidError, ReconcilerError
from reconciler.files import not_regular
from reconciler.plan.guards import allowed_flags
from reconciler.plan.status import changes_possible
from reconciler.render.plan import (
    SPLIT_NEEDS_MARKDOWN,
    not_saved,
    out_not_a_file,
    render_plan,
    saved,
)


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
    split_dir: str | None = None,
) -> int:
    """``allow_*``: show those guards as approved (what apply given the flags would do); the
    plan itself, and a saved plan, are the same either way."""
    out = sys.stdout if out is None else out
    allowed = allowed_flags(allow_breaking, allow_mass_removal)
    if split_dir is not None and fmt != "markdown":
        raise ReconcilerError(SPLIT_NEEDS_MARKDOWN)
    if out_file is not None and (kind := not_regular(out_file)) is not None:
        raise out_not_a_file(out_file, kind)  # before the plan is made: it could not be saved
    options = DiffOptions(adopt=adopt, prune=not no_prune)
    target = pipeline.plan_target(catalog_dir, db_url, commit)
    try:
        loaded = pipeline.load(catalog_dir, environment)
    except CatalogInvalidError as err:
        if fmt == "json":  # a machine reader gets its JSON; the message still goes to stderr
            from reconciler.render.plan_json import render_invalid_catalog_json

            out.write(render_invalid_catalog_json(err.diagnostics))
        raise
    planned = pipeline.plan(loaded, db_url, options=options, no_secrets=no_secrets, target=target)
    out.write(render_plan(planned.plan, fmt, color=color, allowed=allowed))
    if split_dir is not None:
        from reconciler.files import write_parts
        from reconciler.render.plan_markdown import render_markdown_parts

        write_parts(Path(split_dir), render_markdown_parts(planned.plan, allowed=allowed))
    # The notice goes with the plan in text; beside JSON or Markdown it would corrupt them.
    notice = out if fmt == "text" else sys.stderr
    if out_file is not None and planned.plan.errors:
        notice.write(not_saved(out_file))
    elif out_file is not None:
        # imported only when saving: a plain plan does not load the plan file's writer
        from reconciler.plan.planfile import write_plan_file
        from reconciler.render.plan_json import plan_to_dict

        write_plan_file(
            out_file,
            planned.plan,
            planned.stamped.desired,
            options,
            catalog_dir,
            plan_to_dict(planned.plan),
        )
        if fmt == "text":
            out.write(saved(planned.plan, out_file, db_url, db_in_hint=db_in_hint))
    if planned.plan.errors:
        return 1
    return 2 if detailed_exitcode and changes_possible(planned.plan) else 0
