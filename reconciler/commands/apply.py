from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from reconciler.apply.apply import ApplyOptions, Expected, apply_stamped, refusal, stamp_for_apply
from reconciler.catalog.load import load_catalog
from reconciler.commands.plan import render_plan
from reconciler.diff.diff import DiffOptions, diff
from reconciler.errors import PlanError, ReconcilerError
from reconciler.plan.build import load_desired, read_live_state
from reconciler.plan.guards import BREAKING_FLAG, MASS_REMOVAL_FLAG
from reconciler.plan.planfile import plan_signature, read_plan_file, secret_statuses


def _allowed(allow_breaking: bool, allow_mass_removal: bool) -> frozenset[str]:
    flags = set()
    if allow_breaking:
        flags.add(BREAKING_FLAG)
    if allow_mass_removal:
        flags.add(MASS_REMOVAL_FLAG)
    return frozenset(flags)


def apply(
    planfile: str | None,
    catalog_dir: str,
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
) -> int:
    out = sys.stdout if out is None else out
    allowed = _allowed(allow_breaking, allow_mass_removal)
    expected: Expected | None = None
    if planfile is not None:
        saved = read_plan_file(planfile)
        root = Path(catalog_dir)
        current = load_catalog(root).digest
        if current != saved.catalog_digest:
            raise PlanError(
                f"plan is stale: the catalog in {catalog_dir} changed since the plan was made",
                hint="run 'reconciler plan --out FILE' again",
            )
        desired, diff_options = saved.desired, saved.options
        expected = Expected(
            saved.revision, saved.signature, secrets=saved.secrets, registry=saved.registry_id
        )
    else:
        root = Path(catalog_dir)
        desired = load_desired(root)
        diff_options = DiffOptions(adopt=adopt, prune=not no_prune)

    stamped = stamp_for_apply(desired, root)
    if planfile is None:
        live = read_live_state(db_url)
        preview = diff(stamped.desired, live, diff_options)
        out.write(render_plan(preview, "text", color=color))
        problem = refusal(preview, allowed)
        if problem is not None:
            raise problem
        if not auto_approve and preview.has_changes:
            if confirm is None:
                raise ReconcilerError(
                    "apply needs confirmation: run it in a terminal, or pass --auto-approve",
                    hint="in CI, apply a reviewed plan file or pass --auto-approve",
                )
            if not confirm():
                out.write("Apply cancelled; nothing was changed.\n")
                return 1
        expected = Expected(
            preview.revision,
            plan_signature(preview),
            strict=False,
            secrets=secret_statuses(preview),
        )

    if test_connections:
        from reconciler.apply.connections import gate_on_connections

        gate_on_connections(stamped, root, db_url, diff_options, out=out)

    options = ApplyOptions(diff_options, allowed, lock_timeout)
    result = apply_stamped(db_url, stamped, root, options, expected)
    summary = result.plan.summary()
    done = ", ".join(f"{n} {action}d" for action, n in summary.items() if n)
    out.write(
        f"\nApply complete: {done or 'no changes'}. Registry revision "
        f"{result.revision_before} -> {result.revision_after}, audit run #{result.run_id}.\n"
    )
    return 0
