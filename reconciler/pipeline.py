"""The pipeline the commands run, stage by stage: catalog -> validate -> desired state
(``load``); registry -> live state (``read_live``); secret stamping and the diff (``plan``);
what a connection test calls (``connection_targets``); and apply's connection gate
(``gate_on_connections``) before it writes (``apply``).

Each command reads and validates the catalog once, here, and hands the result on. The stages
live in their packages (catalog, state, secrets, diff, plan, providers); this module only
puts them in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.defaults import DEFAULT_CATALOG, DEFAULT_DB
from reconciler.diff.diff import DiffOptions, diff
from reconciler.errors import ReconcilerError
from reconciler.gcpause import gc_paused
from reconciler.plan.alerts import Alert, KeyMismatch, RegistryBoundElsewhere, SecretsByVersion
from reconciler.plan.model import Database, Plan, Target
from reconciler.plan.refusals import BoundUnnamed, Purpose
from reconciler.secrets.crypto import keyring_from_env
from reconciler.secrets.stamp import Stamped, said_once, stamp_secrets, unknown_key_ids
from reconciler.state.desired import DesiredState, load_desired
from reconciler.state.live import LiveState

if TYPE_CHECKING:
    from reconciler.apply.apply import ApplyResult, Expected
    from reconciler.provenance import Commit

    # imported by connection_targets and gate_on_connections when called: plan and apply never
    # load the connection test's modules (ssl, the thread pool, failure classification)
    from reconciler.providers.connection import ConnectionGate
    from reconciler.providers.targets import Targets

log = logging.getLogger(__name__)


def read_live_state(
    db_url: str, *, must_exist: bool = False, last_applied: bool = False
) -> LiveState:
    """The registry's live state (reconciler.state.read), imported when a command reads the
    registry: test-connection on the catalog alone never loads SQLAlchemy."""
    from reconciler.state.read import read_live_state as read

    return read(db_url, must_exist=must_exist, last_applied=last_applied)


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
    start = time.perf_counter()
    with gc_paused():  # as make_plan does: validation builds thousands of acyclic objects
        desired = load_desired(root, environment)
    log.debug(
        "loaded catalog %s%s in %.3fs: %d model(s), %d credential(s), %s",
        root,
        f" (environment {environment})" if environment else "",
        time.perf_counter() - start,
        len(desired.models),
        len(desired.credentials),
        "settings" if desired.settings else "no settings",
    )
    return Loaded(root, desired)


def read_live(db_url: str, environment: str | None, *, purpose: Purpose) -> LiveState:
    """The live registry; refuses a SQLite file that is not there (a read must not make one),
    and, when ``environment`` is given, a registry bound to another environment (in the words
    for ``purpose``, the command reading it)."""
    live = read_live_state(db_url, must_exist=True)
    if environment is not None:
        from reconciler.apply.apply import check_environment

        check_environment(live.environment, environment, rebind=False, purpose=purpose)
    return live


def bound_unnamed(
    live: LiveState, environment: str | None, purpose: Purpose
) -> BoundUnnamed | None:
    """What a read-only command run without ``--environment`` notes: the registry is bound to
    an environment, which nothing checked (a registry bound to the base catalog is what the
    command reads without one: nothing to note)."""
    if environment is not None or not live.environment:
        return None
    return BoundUnnamed(live.environment, purpose)


def refuse_bound_elsewhere(planned: Planned, purpose: Purpose) -> None:
    """A plan against another environment's registry: a read-only command (``purpose``)
    refuses it in its own words, which point at the registry meant, not at re-binding."""
    bound = next((e for e in planned.plan.errors if isinstance(e, RegistryBoundElsewhere)), None)
    if bound is not None:
        from reconciler.apply.apply import check_environment

        check_environment(bound.bound, bound.environment, rebind=False, purpose=purpose)


def plan(
    loaded: Loaded,
    db_url: str,
    *,
    options: DiffOptions,
    no_secrets: bool = False,
    target: Target | None = None,
    last_applied: bool = False,
) -> Planned:
    """Stamp the desired state's secrets, read the registry, diff. ``target``: what the plan
    names as its target (``plan_target``); ``last_applied``: also read the last apply's
    catalog digest with the live state (drift)."""
    planned = make_plan(
        str(loaded.root),
        db_url,
        options=options,
        no_secrets=no_secrets,
        desired=loaded.desired,
        last_applied=last_applied,
    )
    planned.plan.target = target
    return planned


def plan_target(catalog_dir: str, db_url: str, commit: str | None) -> Target:
    """What the plan is for: the registry database (never its credentials), the catalog
    commit (``reconciler.provenance.catalog_commit``: ``commit``, from --commit or
    RECONCILER_COMMIT, else the CI's, else git's; a value that is not a commit id is refused)
    and this reconciler's version."""
    from reconciler.provenance import catalog_commit

    return target_of(db_url, catalog_commit(Path(catalog_dir), commit))


def target_of(db_url: str, commit: Commit | None) -> Target:
    from reconciler import __version__
    from reconciler.db.engine import describe_database

    where = describe_database(db_url)
    return Target(
        database=None if where is None else Database(*where),
        commit=None if commit is None else commit.sha,
        uncommitted=commit is not None and commit.uncommitted,
        version=__version__,
    )


def changed(loaded: Loaded, db_url: str) -> tuple[set[str], set[str]]:
    """Model slugs and credential names the current plan creates or changes."""
    from reconciler.providers.targets import changed_from_plan

    planned = plan(loaded, db_url, options=DiffOptions())
    # changes against another environment's registry are not this one's: refuse, as models does
    refuse_bound_elsewhere(planned, Purpose.TEST_CHANGED)
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
    last_applied: bool = False,
) -> Planned:
    with gc_paused():  # see reconciler.gcpause: thousands of acyclic objects, built once
        return _make_plan(Path(catalog_dir), db_url, options, no_secrets, desired, last_applied)


def _make_plan(
    root: Path,
    db_url: str,
    options: DiffOptions,
    no_secrets: bool,
    desired: DesiredState | None,
    last_applied: bool,
) -> Planned:
    if desired is None:
        desired = load_desired(root)
    keyring = keyring_from_env(required=False)
    log.debug("encryption key %s", "set" if keyring is not None else "not set")
    start = time.perf_counter()
    live = read_live_state(db_url, last_applied=last_applied)
    log.debug(
        "read the registry in %.3fs: revision %d, %d model(s), %d credential(s), settings %s",
        time.perf_counter() - start,
        live.revision,
        len(live.models),
        len(live.credentials),
        "present" if live.settings else "absent",
    )
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
    start = time.perf_counter()
    stamped = stamp_secrets(desired, root, read_values=not no_secrets, keyring=keyring)
    log.debug(
        "stamped %d secret reference(s) in %.3fs (%s)",
        sum(len(c.secrets) for c in desired.credentials.values()),
        time.perf_counter() - start,
        "values fingerprinted" if keyring is not None and not no_secrets else "source versions",
    )
    if mismatch:
        # the mismatch says why secrets are compared by version: it replaces "key not set"
        stamped.notes[:] = mismatch + [
            n for n in stamped.notes if not isinstance(n, SecretsByVersion)
        ]
    start = time.perf_counter()
    plan = diff(stamped.desired, live, options)
    log.debug(
        "diffed in %.3fs: %d change(s), %d error(s), %d guard(s), %d note(s)",
        time.perf_counter() - start,
        len(plan.changes),
        len(plan.errors),
        len(plan.guards),
        len(plan.notes) + len(stamped.notes),
    )
    plan.notes[:] = [*stamped.notes, *said_once(plan.notes, stamped)]
    if wrong_key:
        plan.errors.insert(0, KeyMismatch("", tuple(wrong_key), _throwaway_file(db_url)))
    if live.environment is not None and live.environment != desired.environment:
        # first: every other line of this plan is about a registry apply would refuse (most
        # likely the wrong one, e.g. CI fell back to the repository's default URL)
        plan.errors.insert(0, RegistryBoundElsewhere("", live.environment, desired.environment))
    log.info(
        "planned %d change(s) against registry revision %d (%d model(s), %d credential(s) live)",
        len(plan.changes),
        live.revision,
        len(live.models),
        len(live.credentials),
    )
    return Planned(plan, stamped, live)


def _throwaway_file(db_url: str) -> str | None:
    from reconciler.db.engine import throwaway_file

    return throwaway_file(db_url)


# --- apply ---------------------------------------------------------------------------------------
# The database layer (reconciler.apply) is imported by the apply functions only: the catalog
# paths of other commands never load SQLAlchemy.


@dataclass
class ToApply:
    """What apply writes and what the user approved: the catalog's stamped desired state, the
    diff options, and the revision and signature to hold the registry to."""

    root: Path
    stamped: Stamped
    options: DiffOptions
    expected: Expected
    # the catalog commit the audit row names: the saved plan's, or the one the preview named
    commit: Commit | None


def saved_apply(
    planfile: str,
    catalog_dir: str | None,
    db_url: str,
    *,
    environment: str | None,
    no_prune: bool,
    adopt: bool,
    rebind_environment: bool,
) -> ToApply:
    """A saved plan, checked against the flags, the environment, the catalog (``catalog_dir``
    None: the plan's) and the registry before any secret is read."""
    from reconciler.apply.apply import Expected, check_environment, check_registry
    from reconciler.apply.saved import (
        check_saved_catalog,
        check_saved_environment,
        check_saved_options,
    )
    from reconciler.plan.planfile import read_plan_file

    saved = read_plan_file(planfile)
    catalog_dir = saved.catalog_dir if catalog_dir is None else catalog_dir
    check_saved_options(saved, planfile, catalog_dir, no_prune=no_prune, adopt=adopt)
    check_saved_environment(saved, planfile, environment)
    check_saved_catalog(saved, catalog_dir)
    expected = Expected(
        saved.revision, saved.signature, secrets=saved.secrets, registry=saved.registry_id
    )
    # Up front, in this order: another registry's plan must not be reported as a key
    # mismatch, and with no key set the registry's own key is named before reading secrets.
    live = read_live_state(db_url)
    check_registry(expected, live.registry_id)
    check_environment(live.environment, saved.desired.environment, rebind=rebind_environment)
    _check_keys(live, db_url)
    del live  # apply reads it again under the lock
    root = Path(catalog_dir)
    stamped = _stamp_for_apply(saved.desired, root)
    # the commit the plan named (not this checkout's): the audit records what was reviewed
    return ToApply(root, stamped, saved.options, expected, saved.commit)


def catalog_apply(
    catalog_dir: str | None,
    db_url: str,
    *,
    environment: str | None,
    options: DiffOptions,
    rebind_environment: bool,
) -> tuple[Plan, ToApply]:
    """The plan to preview and confirm, and what applying the catalog (``catalog_dir`` None:
    ./catalog) writes once it is: that plan, not held strictly to its revision."""
    from reconciler.apply.apply import Expected, check_environment
    from reconciler.plan.planfile import plan_signature, secret_statuses
    from reconciler.provenance import catalog_commit

    catalog_dir = DEFAULT_CATALOG if catalog_dir is None else catalog_dir
    # first: a bad RECONCILER_COMMIT or CI variable is refused before anything is read
    commit = catalog_commit(Path(catalog_dir))
    loaded = load(catalog_dir, environment)
    live = read_live_state(db_url)
    check_environment(live.environment, loaded.desired.environment, rebind=rebind_environment)
    # Before the preview: under the wrong key every secret would show as changed.
    _check_keys(live, db_url)
    stamped = _stamp_for_apply(loaded.desired, loaded.root)
    preview = diff(stamped.desired, live, options)
    # the registry it writes to, and the commit and version, before the question
    preview.target = target_of(db_url, commit)
    expected = Expected(
        preview.revision,
        plan_signature(preview),
        strict=False,
        secrets=secret_statuses(preview),
    )
    return preview, ToApply(loaded.root, stamped, options, expected, commit)


def gate_on_connections(to_apply: ToApply, db_url: str) -> ConnectionGate:
    """Live-test the models ``to_apply`` creates or changes (``apply --test-connections``),
    before it is written; the caller refuses the apply when the gate did not pass."""
    from reconciler.apply.connections import gate_on_connections as gate

    return gate(to_apply.stamped, to_apply.root, db_url, to_apply.options)


def apply(
    to_apply: ToApply,
    db_url: str,
    *,
    allowed: frozenset[str],
    lock_timeout: float,
    rebind_environment: bool,
) -> ApplyResult:
    """Write ``to_apply`` in one transaction."""
    from reconciler.apply.apply import ApplyOptions, apply_stamped

    options = ApplyOptions(to_apply.options, allowed, lock_timeout, rebind_environment)
    return apply_stamped(
        db_url, to_apply.stamped, options, to_apply.expected, commit=to_apply.commit
    )


def _check_keys(live: LiveState, db_url: str) -> None:
    from reconciler.apply.apply import check_key_ids

    check_key_ids(live, keyring_from_env(required=False), db_url)


def _stamp_for_apply(desired: DesiredState, root: Path) -> Stamped:
    from reconciler.apply.apply import stamp_for_apply

    return stamp_for_apply(desired, root)
