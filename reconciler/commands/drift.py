"""``reconciler drift``: what differs between the catalog and the registry, and why
(reconciler.drift.report), rendered by reconciler.render.drift."""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler import pipeline
from reconciler.diff.diff import DiffOptions
from reconciler.drift.report import drift_report
from reconciler.errors import CatalogInvalidError, DatabaseError
from reconciler.plan.refusals import Purpose
from reconciler.render.drift import render_drift


def drift(
    catalog_dir: str,
    db_url: str,
    fmt: str,
    out: TextIO | None = None,
    *,
    ignore_unmanaged: bool = False,
    environment: str | None = None,
) -> int:
    """Exit 0 without drift, 2 with drift, 1 when the plan has errors (drift unknown).

    Rows the catalog does not manage are drift unless ``ignore_unmanaged``: then they are
    listed for information only."""
    out = sys.stdout if out is None else out
    try:
        loaded = pipeline.load(catalog_dir, environment)
    except CatalogInvalidError as err:
        if fmt == "json":  # as plan: a machine reader gets its JSON; the message goes to stderr
            from reconciler.render.plan_json import render_invalid_catalog_json

            out.write(render_invalid_catalog_json(err.diagnostics))
        raise
    # the last apply's digest is read with the live state, in the same transaction
    planned = pipeline.plan(loaded, db_url, options=DiffOptions(), last_applied=True)
    report = drift_report(
        planned.plan, planned.stamped.desired, planned.live, ignore_unmanaged=ignore_unmanaged
    )
    try:  # another environment's registry: refused in a read-only command's words, not plan's
        pipeline.refuse_bound_elsewhere(planned, Purpose.DRIFT)
    except DatabaseError:
        if fmt == "json":  # as for an invalid catalog: the JSON, then the message on stderr
            out.write(render_drift(report, fmt))
        raise
    out.write(render_drift(report, fmt))
    return report.exit_code
