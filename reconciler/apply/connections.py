"""apply --test-connections: live-test what the plan creates or changes before writing it,
the GitOps form of "saving a model is gated on Test Connection"."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from reconciler.diff.diff import DiffOptions, diff
from reconciler.secrets.stamp import Stamped
from reconciler.state.read import read_live_state

CONNECTION_TIMEOUT = 15.0


def gate_on_connections(
    stamped: Stamped, catalog_root: Path, db_url: str, options: DiffOptions, *, out: TextIO
) -> None:
    """Raise (so nothing is written) when any created or changed model fails a live call."""
    from reconciler.providers.connection import run_connection_tests
    from reconciler.providers.targets import changed_from_plan, resolve_catalog_models
    from reconciler.render.connections import NO_CHANGED_MODELS, gate_refused, render_plain

    plan = diff(stamped.desired, read_live_state(db_url), options)
    slugs, _ = changed_from_plan(plan, stamped.desired)
    if not slugs:
        out.write(NO_CHANGED_MODELS)
        return
    targets = resolve_catalog_models(catalog_root, stamped.desired, sorted(slugs))
    results = targets.failed + run_connection_tests(targets.ready, CONNECTION_TIMEOUT)
    out.write(render_plain(results))
    bad = [r.slug for r in results if not r.ok]
    if bad:
        raise gate_refused(bad)
