"""The pipeline the commands run, stage by stage: catalog -> validate -> desired state
(``load``); registry -> live state (``read_live``); secret stamping and the diff (``plan``);
and what a connection test calls (``connection_targets``).

Each command reads and validates the catalog once, here, and hands the result on. The stages
live in their packages (catalog, state, secrets, diff, plan, providers); this module only
puts them in order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.defaults import DEFAULT_CATALOG, DEFAULT_DB
from reconciler.diff.diff import DiffOptions, diff
from reconciler.errors import ReconcilerError
from reconciler.gcpause import gc_paused
from reconciler.plan.alerts import Alert, KeyMismatch, SecretsByVersion
from reconciler.plan.build import (
    Stamped,
    changed_from_plan,
    stamp_secrets,
    unknown_key_ids,
)
from reconciler.plan.model import Plan
from reconciler.secrets.crypto import keyring_from_env
from reconciler.state.desired import DesiredState, load_desired
from reconciler.state.live import LiveState

if TYPE_CHECKING:
    # imported by connection_targets when called: plan and apply never load the connection
    # test's modules (ssl, the thread pool, failure classification)
    from reconciler.providers.targets import Targets

log = logging.getLogger(__name__)


def read_live_state(db_url: str, *, must_exist: bool = False) -> LiveState:
    """The registry's live state (reconciler.state.read), imported when a command reads the
    registry: test-connection on the catalog alone never loads SQLAlchemy."""
    from reconciler.state.read import read_live_state as read

    return read(db_url, must_exist=must_exist)


@dataclass(frozen=True)
class Loaded:
    """A validated catalog's desired state, and the directory it was read from (secret
    references in it are relative to that directory)."""

    root: Path
    desired: DesiredState


def load(catalog_dir: str | Path, environment: str | None = None) -> Loaded:
    """Read and validate the catalog (the base, or the named environment's), refused with
    its errors shown, as desired state."""
    root = Path(catalog_dir)
    with gc_paused():  # as make_plan does: validation builds thousands of acyclic objects
        return Loaded(root, load_desired(root, environment))


def read_live(db_url: str, environment: str | None = None) -> LiveState:
    """The live registry; refuses a SQLite file that is not there (a read must not make one),
    and, when ``environment`` is given, a registry bound to another environment."""
    live = read_live_state(db_url, must_exist=True)
    if environment is not None:
        from reconciler.apply.apply import check_environment

        check_environment(live.environment, environment, rebind=False)
    return live


def plan(loaded: Loaded, db_url: str, *, options: DiffOptions, no_secrets: bool = False) -> Planned:
    """Stamp the desired state's secrets, read the registry, diff."""
    return make_plan(
        str(loaded.root), db_url, options=options, no_secrets=no_secrets, desired=loaded.desired
    )


def changed(loaded: Loaded, db_url: str) -> tuple[set[str], set[str]]:
    """Model slugs and credential names the current plan creates or changes."""
    planned = plan(loaded, db_url, options=DiffOptions())
    return changed_from_plan(planned.plan, planned.stamped.desired)


def connection_targets(
    slugs: Sequence[str],
    *,
    changed_only: bool,
    db_url: str | None,
    catalog_dir: str | None,
    environment: str | None = None,
) -> Targets:
    """What ``test-connection`` calls. From the catalog (``catalog_dir``; secrets resolved from
    their sources) unless only ``db_url`` is given, then from the live registry through the
    runtime client. ``changed_only`` keeps the catalog models the current plan creates or
    changes, or whose credential it does (it needs both the catalog and the registry)."""
    from reconciler.providers.targets import resolve_catalog_models, select_changed, select_slugs

    if changed_only:
        loaded = load(catalog_dir or DEFAULT_CATALOG, environment)
        changed_models, changed_creds = changed(loaded, db_url or DEFAULT_DB)
        chosen, unused = select_changed(loaded.desired, slugs, changed_models, changed_creds)
        targets = resolve_catalog_models(loaded.root, loaded.desired, chosen)
        targets.unused_credentials = unused
        return targets
    if catalog_dir is not None or db_url is None or environment is not None:
        loaded = load(catalog_dir or DEFAULT_CATALOG, environment)
        selected = select_slugs(loaded.desired, slugs)
        return resolve_catalog_models(loaded.root, loaded.desired, selected)
    return registry_targets(db_url, slugs)


def registry_targets(db_url: str, slugs: Sequence[str]) -> Targets:
    """The named registry models (default: every enabled, active one), resolved through
    ``RegistryClient`` as the application resolves them."""
    from reconciler.providers.targets import Targets, not_tested
    from reconciler.runtime import RegistryClient

    with RegistryClient(db_url) as client:
        selected = list(dict.fromkeys(slugs)) if slugs else client.enabled_slugs()
        targets = Targets(selected)
        for slug in selected:
            try:
                targets.ready.append(client.resolve(slug))
            except ReconcilerError as err:
                targets.failed.append(not_tested(slug, err.message))
    return targets


@dataclass
class Planned:
    plan: Plan
    stamped: Stamped
    live: LiveState


def make_plan(
    catalog_dir: str,
    db_url: str,
    *,
    options: DiffOptions,
    no_secrets: bool = False,
    desired: DesiredState | None = None,
) -> Planned:
    with gc_paused():  # see reconciler.gcpause: thousands of acyclic objects, built once
        return _make_plan(Path(catalog_dir), db_url, options, no_secrets, desired)


def _make_plan(
    root: Path,
    db_url: str,
    options: DiffOptions,
    no_secrets: bool,
    desired: DesiredState | None,
) -> Planned:
    if desired is None:
        desired = load_desired(root)
    keyring = keyring_from_env(required=False)
    live = read_live_state(db_url)
    used = {s.key_id for c in live.credentials.values() for s in c.secrets.values()}
    # A key is set but cannot decrypt the registry's secrets: apply would refuse, so the plan
    # must not say "No changes" (with no key at all, secrets are compared by source version).
    wrong_key = unknown_key_ids(live, keyring) if keyring is not None else []
    if keyring is not None and used and keyring.current.key_id not in used:
        # Fingerprints under another key never match: compare source versions instead.
        keyring = None
        mismatch: list[Alert] = [SecretsByVersion("", "key-mismatch")]
    else:
        mismatch = []
    stamped = stamp_secrets(desired, root, read_values=not no_secrets, keyring=keyring)
    if mismatch:
        # the mismatch says why secrets are compared by version: it replaces "key not set"
        stamped.notes[:] = mismatch + [
            n for n in stamped.notes if not isinstance(n, SecretsByVersion)
        ]
    plan = diff(stamped.desired, live, options)
    plan.notes[:0] = stamped.notes
    if wrong_key:
        plan.errors.insert(0, KeyMismatch("", tuple(wrong_key), _throwaway_file(db_url)))
    log.info(
        "planned %d change(s) against registry revision %d (%d model(s), %d credential(s) live)",
        len(plan.changes),
        live.revision,
        len(live.models),
        len(live.credentials),
    )
    return Planned(plan, stamped, live)


def _throwaway_file(db_url: str) -> str | None:
    from reconciler.db.throwaway import throwaway_file

    return throwaway_file(db_url)
