"""Apply: resolve secrets, take the lock, re-read the registry, re-check the plan, write it all
in one transaction with an audit row. Any failure rolls everything back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from reconciler.apply.lock import locked_transaction
from reconciler.apply.write import Writer, Written, write_plan
from reconciler.db import tables as t
from reconciler.db.engine import driver_reason, make_engine, throwaway_file
from reconciler.db.migrate import require_current
from reconciler.diff.diff import DiffOptions, diff
from reconciler.errors import DatabaseError, ReconcilerError, SecretError
from reconciler.gcpause import gc_paused
from reconciler.plan.model import Plan
from reconciler.plan.planfile import plan_signature, stale_secrets
from reconciler.plan.refusals import (
    AlreadyApplied,
    BoundElsewhere,
    OtherRegistry,
    Purpose,
    StaleChanges,
    StaleRegistry,
    StaleSecrets,
)
from reconciler.provenance import Commit, actor
from reconciler.render.alerts import key_mismatch_hint, key_mismatch_message
from reconciler.render.apply import missing_key, refusal, refused
from reconciler.secrets.crypto import Keyring, keyring_from_env
from reconciler.secrets.stamp import Stamped, secret_refs, stamp_secrets, unknown_key_ids
from reconciler.state.desired import DesiredState
from reconciler.state.live import LiveState
from reconciler.state.read import read_live, read_revision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyOptions:
    diff: DiffOptions
    allowed_flags: frozenset[str] = frozenset()
    lock_timeout: float = 30.0
    rebind_environment: bool = False  # re-bind a registry bound to another environment


@dataclass(frozen=True)
class Expected:
    """What the user approved: the registry revision and the plan's signature."""

    revision: int
    signature: str
    # A saved plan is stale whenever the registry moved. A plain apply's own preview only
    # needs to still hold: when there is nothing left to do, another apply got there first.
    strict: bool = True
    # The secret statuses the plan knew ("cred.field" -> "unchanged", ...): the signature
    # leaves secrets out, so a secret that changed since the plan is caught here.
    secrets: Mapping[str, str] = field(default_factory=dict)
    registry: str | None = None  # a saved plan's registry_id


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    run_id: int
    revision_before: int
    revision_after: int
    # the environment the registry was bound to before --rebind-environment moved it to the
    # plan's ('' the base catalog); None when the binding did not change or was first made
    rebound_from: str | None = None


def stamp_for_apply(desired: DesiredState, catalog_root: Path) -> Stamped:
    keyring = keyring_from_env(required=bool(secret_refs(desired)))
    return stamp_secrets(
        desired, catalog_root, read_values=True, keyring=keyring, require_values=True
    )


def check_key_ids(live: LiveState, keyring: Keyring | None, db_url: str | None = None) -> None:
    """Refuse to write under a key the registry's secrets are not encrypted with: that would
    silently re-encrypt everything and lock out the application, which has the old key."""
    unknown = unknown_key_ids(live, keyring)
    if unknown and keyring is None:
        raise missing_key(unknown)
    if unknown:
        raise SecretError(
            key_mismatch_message(unknown), hint=key_mismatch_hint(throwaway_file(db_url))
        )


def check_registry(expected: Expected | None, registry_id: str | None) -> None:
    """A saved plan applies only to the registry it was made against."""
    if expected is not None and expected.registry not in (None, registry_id):
        raise refused(OtherRegistry(expected.registry, registry_id))


def check_environment(
    bound: str | None, environment: str, *, rebind: bool, purpose: Purpose = Purpose.APPLY
) -> None:
    """A registry bound to one environment is not applied another environment's catalog
    (staging's catalog applied to production's registry) unless re-bound on purpose, nor read
    as another environment's (``purpose``: the read-only command asking)."""
    if bound is None or bound == environment or rebind:
        return
    raise refused(BoundElsewhere(bound, environment, purpose))


def already_applied_run(conn: sa.Connection, expected: Expected) -> int | None:
    """The audit run that applied this very plan (same signature, same starting revision)."""
    runs = t.reconcile_runs.c
    query = (
        sa.select(runs.id)
        .where(runs.plan_digest == expected.signature)
        .where(runs.revision_before == expected.revision)
        .order_by(runs.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar()


def apply_stamped(
    db_url: str,
    stamped: Stamped,
    options: ApplyOptions,
    expected: Expected | None = None,
    *,
    commit: Commit | None,
) -> ApplyResult:
    """Write the changes that make the registry match ``stamped.desired``, atomically.
    ``commit``: the catalog commit the audit row names (reconciler.provenance.catalog_commit,
    or a saved plan's)."""
    keyring = keyring_from_env(required=bool(secret_refs(stamped.desired)))
    started = datetime.now(UTC)
    who = actor()
    engine = make_engine(db_url, busy_timeout=options.lock_timeout)
    try:
        # No GC passes while the lock is held: the re-diff and the bulk rows are thousands of
        # acyclic objects the GC would only rescan (see reconciler.gcpause).
        start = time.perf_counter()
        with gc_paused(), locked_transaction(engine, options.lock_timeout) as conn:
            locked = time.perf_counter()
            require_current(conn)
            log.info("holding the registry lock; re-reading the registry")
            live = read_live(conn)
            log.debug(
                "took the registry lock in %.3fs; re-read the registry under it in %.3fs: "
                "revision %d, %d model(s), %d credential(s), settings %s",
                locked - start,
                time.perf_counter() - locked,
                live.revision,
                len(live.models),
                len(live.credentials),
                "present" if live.settings else "absent",
            )
            check_registry(expected, live.registry_id)
            environment = stamped.desired.environment
            check_environment(live.environment, environment, rebind=options.rebind_environment)
            check_key_ids(live, keyring, db_url)
            start = time.perf_counter()
            plan = diff(stamped.desired, live, options.diff)
            log.debug(
                "re-diffed under the lock in %.3fs: %d change(s), %d error(s), %d guard(s)",
                time.perf_counter() - start,
                len(plan.changes),
                len(plan.errors),
                len(plan.guards),
            )
            already_done = not plan.changes and not plan.errors
            moved = expected is not None and live.revision != expected.revision
            if moved and expected is not None and (expected.strict or not already_done):
                # a saved plan applied a second time is not "stale": say what happened
                run = already_applied_run(conn, expected) if expected.strict else None
                if run is not None:
                    raise refused(AlreadyApplied(run, live.revision))
                raise refused(StaleRegistry(expected.revision, live.revision))
            stale = (
                []
                if expected is None or already_done
                else stale_secrets(dict(expected.secrets), plan)
            )
            if stale:
                raise refused(StaleSecrets(tuple(stale)))
            signature = plan_signature(plan)  # once: it serializes every field change
            if expected is not None and not already_done and signature != expected.signature:
                raise refused(StaleChanges())
            problem = refusal(plan, options.allowed_flags)
            if problem is not None:
                raise problem
            now = datetime.now(UTC)
            writer = Writer(conn, stamped.desired, live, stamped.resolved.values, keyring, now)
            start = time.perf_counter()
            _log_written(write_plan(writer, plan), time.perf_counter() - start)
            if live.environment != environment:
                conn.execute(sa.update(t.registry_meta).values(environment=environment))
            rebound = live.environment if live.environment not in (None, environment) else None
            recorded: dict[str, object] = {
                "adopt": options.diff.adopt,
                "prune": options.diff.prune,
                "allowed": sorted(options.allowed_flags),
            }
            if rebound is not None:
                recorded["rebound_from"] = rebound  # the audit keeps who moved the registry
            after = read_revision(conn)
            log.info(
                "wrote %d change(s); revision %d -> %d", len(plan.changes), live.revision, after
            )
            run_id = conn.execute(
                sa.insert(t.reconcile_runs)
                .values(
                    started_at=started,
                    finished_at=datetime.now(UTC),
                    actor=who,
                    git_commit=None if commit is None else commit.audit_text(),
                    plan_digest=signature,
                    catalog_digest=stamped.desired.catalog_digest,
                    revision_before=live.revision,
                    revision_after=after,
                    counts=plan.summary(),
                    environment=environment,
                    options=recorded,
                )
                .returning(t.reconcile_runs.c.id)
            ).scalar_one()
            result = ApplyResult(plan, run_id, live.revision, after, rebound)
            start = time.perf_counter()  # leaving the block commits (and releases the lock)
        log.debug(
            "committed in %.3fs: revision %d -> %d, audit run %d",
            time.perf_counter() - start,
            result.revision_before,
            result.revision_after,
            result.run_id,
        )
        return result
    except ReconcilerError:
        raise
    except sa.exc.SQLAlchemyError as err:
        raise DatabaseError(
            "apply failed and was rolled back; the registry is unchanged: "
            f"{driver_reason(err, engine)}"
        ) from None
    finally:
        engine.dispose()


def _log_written(written: Written, seconds: float) -> None:
    """The write phase's debug record: rows per kind and action, and secrets by count."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    rows = ", ".join(f"{what} {n}" for what, n in sorted(written.rows.items())) or "no rows"
    log.debug(
        "wrote in %.3fs: %s; %d secret(s) encrypted and stored, %d removed; "
        "%d inactive model(s) unlinked; %d source version(s) refreshed",
        seconds,
        rows,
        written.secrets_written,
        written.secrets_removed,
        written.unlinked_models,
        written.source_versions,
    )
