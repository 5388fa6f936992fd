"""apply --test-connections: live-test what the plan creates or changes before writing it,
the GitOps form of "saving a model is gated on Test Connection"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.diff.diff import DiffOptions, diff
from reconciler.secrets.stamp import Stamped
from reconciler.state.read import read_live_state

if TYPE_CHECKING:
    # imported when the gate runs: apply without --test-connections never loads the
    # connection test's modules
    from reconciler.providers.connection import ConnectionGate

CONNECTION_TIMEOUT = 15.0


def gate_on_connections(
    stamped: Stamped, catalog_root: Path, db_url: str, options: DiffOptions
) -> ConnectionGate:
    """The live-call results of every model the plan creates or changes. Nothing is written
    here; the caller refuses the apply when the gate did not pass."""
    from reconciler.providers.connection import ConnectionGate, run_connection_tests
    from reconciler.providers.targets import changed_from_plan, resolve_catalog_models

    plan = diff(stamped.desired, read_live_state(db_url), options)
    slugs, _ = changed_from_plan(plan, stamped.desired)
    if not slugs:
        return ConnectionGate()
    targets = resolve_catalog_models(catalog_root, stamped.desired, sorted(slugs))
    return ConnectionGate(
        tuple(targets.failed + run_connection_tests(targets.ready, CONNECTION_TIMEOUT))
    )
