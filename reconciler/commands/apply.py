from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from reconciler.apply.apply import (
    ApplyOptions,
    Expected,
    apply_stamped,
    check_environment,
    check_key_ids,
    check_registry,
    environment_name,
    refusal,
    stamp_for_apply,
)
from reconciler.catalog.load import load_catalog
from reconciler.catalog.validate import validate_catalog
from reconciler.commands.target import allowed_flags, plan_target
from reconciler.defaults import DEFAULT_CATALOG
from reconciler.diff.diff import DiffOptions, diff
from reconciler.errors import PlanError, ReconcilerError
from reconciler.plan.planfile import SavedPlan, plan_signature, read_plan_file, secret_statuses
from reconciler.render.plan import render_plan
from reconciler.secrets.crypto import keyring_from_env
from reconciler.state.desired import load_desired
from reconciler.state.read import read_live_state


def check_saved_options(
    saved: SavedPlan, planfile: str, catalog_dir: str, *, no_prune: bool, adopt: bool
) -> None:
    """A saved plan applies with the options it was made with: refuse flags that ask for
    others instead of silently ignoring them."""
    differ = []
    if no_prune and saved.options.prune:
        differ.append("--no-prune")
    if adopt and not saved.options.adopt:
        differ.append("--adopt")
    if not differ:
        return
    wanted = (["--adopt"] if adopt or saved.options.adopt else []) + (
        ["--no-prune"] if no_prune or not saved.options.prune else []
    )
    raise PlanError(
        f"{' and '.join(differ)} cannot change a saved plan: {planfile} was made without "
        f"{'them' if len(differ) > 1 else 'it'} and applies exactly what it shows",
        hint=f"make a new plan with 'reconciler plan --catalog {catalog_dir} "
        f"{' '.join(wanted)} --out FILE' and apply that",
    )


def check_saved_environment(saved: SavedPlan, planfile: str, environment: str | None) -> None:
    """A plan made for one environment is never applied as another's."""
    if environment is None or environment == saved.environment:
        return
    raise PlanError(
        f"{planfile} is a plan for {environment_name(saved.environment)}, not for "
        f"{environment_name(environment)}",
        hint="apply the plan made for this environment: 'reconciler plan --environment "
        f"{environment} --out FILE'",
    )


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
    expected: Expected | None = None
    if planfile is not None:
        saved = read_plan_file(planfile)
        catalog_dir = saved.catalog_dir if catalog_dir is None else catalog_dir
        check_saved_options(saved, planfile, catalog_dir, no_prune=no_prune, adopt=adopt)
        check_saved_environment(saved, planfile, environment)
        root = Path(catalog_dir)
        current = (
            validate_catalog(root, saved.environment) if saved.environment else load_catalog(root)
        ).digest
        if current != saved.catalog_digest:
            raise PlanError(
                f"plan is stale: the catalog in {catalog_dir} changed since the plan was made",
                hint="run 'reconciler plan --out FILE' again",
            )
        desired, diff_options = saved.desired, saved.options
        expected = Expected(
            saved.revision, saved.signature, secrets=saved.secrets, registry=saved.registry_id
        )
        # Up front, in this order: another registry's plan must not be reported as a key
        # mismatch, and with no key set the registry's own key is named before reading secrets.
        live = read_live_state(db_url)
        check_registry(expected, live.registry_id)
        check_environment(live.environment, desired.environment, rebind=rebind_environment)
        check_key_ids(live, keyring_from_env(required=False), db_url)
        del live  # apply_stamped reads it again under the lock
        stamped = stamp_for_apply(desired, root)
    else:
        root = Path(DEFAULT_CATALOG if catalog_dir is None else catalog_dir)
        desired = load_desired(root, environment)
        diff_options = DiffOptions(adopt=adopt, prune=not no_prune)
        live = read_live_state(db_url)
        check_environment(live.environment, desired.environment, rebind=rebind_environment)
        # Before the preview: under the wrong key every secret would show as changed.
        check_key_ids(live, keyring_from_env(required=False), db_url)
        stamped = stamp_for_apply(desired, root)
        preview = diff(stamped.desired, live, diff_options)
        # the registry it writes to, and the commit and version, before the question
        preview.target = plan_target(str(root), db_url, None)
        out.write(render_plan(preview, "text", color=color, allowed=allowed))
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
        del preview, live  # apply_stamped re-reads and re-diffs: at 100k models these are MBs

    if test_connections:
        from reconciler.apply.connections import gate_on_connections

        gate_on_connections(stamped, root, db_url, diff_options, out=out)

    options = ApplyOptions(diff_options, allowed, lock_timeout, rebind_environment)
    result = apply_stamped(db_url, stamped, root, options, expected)
    summary = result.plan.summary()
    done = ", ".join(f"{n} {action}d" for action, n in summary.items() if n)
    out.write(
        f"\nApply complete: {done or 'no changes'}. Registry revision "
        f"{result.revision_before} -> {result.revision_after}, audit run #{result.run_id}.\n"
    )
    return 0
