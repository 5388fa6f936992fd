"""``reconciler apply``: a saved plan, or the catalog after a preview and a confirmation, written
to the registry in one transaction (reconciler.pipeline and reconciler.apply); the words are
reconciler.render.apply's."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from reconciler import pipeline
from reconciler.diff.diff import DiffOptions
from reconciler.plan.guards import allowed_flags
from reconciler.plan.refusals import NeedsConfirmation
from reconciler.render.apply import CANCELLED, applied, applied_changes, refusal, refused
from reconciler.render.plan import render_plan


def apply(
    planfile: str | None,
    catalog_dir: str | None,
    db_url: str,
    auto_approve: bool,
    no_prune: bool,
    allow_breaking: bool,
    allow_mass_removal: bool,
    adopt: bool,
    lock_timeout: float,
    test_connections: bool = False,
    confirm: Callable[[], bool] | None = None,
    color: bool = False,
    out: TextIO | None = None,
    environment: str | None = None,
    rebind_environment: bool = False,
) -> int:
    """``catalog_dir`` None: the saved plan's catalog with a PLANFILE, else ./catalog.
    ``environment`` None: the saved plan's environment with a PLANFILE, else the base."""
    out = sys.stdout if out is None else out
    allowed = allowed_flags(allow_breaking, allow_mass_removal)
    if planfile is not None:
        to_apply = pipeline.saved_apply(
            planfile,
            catalog_dir,
            db_url,
            environment=environment,
            no_prune=no_prune,
            adopt=adopt,
            rebind_environment=rebind_environment,
        )
    else:
        preview, to_apply = pipeline.catalog_apply(
            catalog_dir,
            db_url,
            environment=environment,
            options=DiffOptions(adopt=adopt, prune=not no_prune),
            rebind_environment=rebind_environment,
        )
        out.write(render_plan(preview, "text", color=color, allowed=allowed))
        problem = refusal(preview, allowed)
        if problem is not None:
            raise problem
        if not auto_approve and preview.has_changes:
            if confirm is None:
                raise refused(NeedsConfirmation())
            if not confirm():
                out.write(CANCELLED)
                return 1
        del preview  # apply re-reads and re-diffs: at 100k models a plan is MBs
    if test_connections:
        # imported only for the gate: a plain apply never loads the connection test's modules
        from reconciler.render.connections import gate_refused, render_gate

        gate = pipeline.gate_on_connections(to_apply, db_url)
        out.write(render_gate(gate))
        if not gate.passed:
            raise gate_refused(gate.failed)  # nothing was written
    result = pipeline.apply(
        to_apply,
        db_url,
        allowed=allowed,
        lock_timeout=lock_timeout,
        rebind_environment=rebind_environment,
    )
    if planfile is not None:  # a catalog apply showed its changes before the question
        out.write(applied_changes(result.plan, color=color))
    rebind = None
    if result.rebound_from is not None:
        rebind = (result.rebound_from, result.plan.environment)
    out.write(
        applied(
            result.plan.summary(),
            result.revision_before,
            result.revision_after,
            result.run_id,
            rebind,
        )
    )
    return 0
