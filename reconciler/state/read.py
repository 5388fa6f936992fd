"""Read the live registry into a LiveState: a fixed number of queries, however many models."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from reconciler.db import tables as t
from reconciler.db.engine import connection_hint, driver_reason, make_engine, require_database
from reconciler.db.migrate import require_current
from reconciler.errors import DatabaseError
from reconciler.gcpause import gc_paused
from reconciler.state.live import (
    LiveCredential,
    LiveModel,
    LiveSecret,
    LiveSettings,
    LiveState,
    WorkflowRefs,
)
from reconciler.state.records import MODEL_FIELDS, CredentialState, ModelState, SettingsState

WORKFLOW_NAMES_SHOWN = 3
# The model's boolean columns, read as stored: SQLite keeps whatever an application wrote
# (the text 'false' too), and SQLAlchemy's Boolean would read any non-zero value as true.
_FLAG_COLUMNS = frozenset(
    column
    for _path, column in MODEL_FIELDS
    if column.startswith("supports_") or column == "enabled"
)


def stored_flag(raw: Any) -> Any:
    """A boolean column's value compared strictly: true/false for a boolean (SQLite: 1/0),
    else the stored value itself, so that it differs from the catalog's boolean (drift) and
    reports what the registry holds."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    return raw


def models_query() -> sa.Select[Any]:
    """``SELECT * FROM models`` with the model flags read as stored (see ``stored_flag``)."""
    return sa.select(
        *(
            sa.type_coerce(c, sa.types.NullType()).label(c.name) if c.name in _FLAG_COLUMNS else c
            for c in t.models.c
        )
    )


def model_values(row: Any, credential_name: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path, column in MODEL_FIELDS:
        if path == "credential":
            values[path] = credential_name
        elif column in ("input_cost_per_token", "output_cost_per_token"):
            raw = getattr(row, column)
            values[path] = None if raw is None else float(raw)
        elif column in _FLAG_COLUMNS:
            values[path] = stored_flag(getattr(row, column))
        else:
            values[path] = getattr(row, column)
    return values


def read_revision(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(t.registry_meta.c.revision)).scalar_one())


def read_live(conn: sa.Connection, *, last_applied: bool = False) -> LiveState:
    """The registry as ``conn`` sees it; ``last_applied``: also the last apply's catalog
    digest (drift's), in the same transaction, so it belongs to the rows read."""
    meta = t.registry_meta
    revision, registry_id, environment = conn.execute(
        sa.select(meta.c.revision, meta.c.registry_id, meta.c.environment)
    ).one()
    state = LiveState(revision=int(revision), registry_id=registry_id, environment=environment)
    if last_applied:
        state.last_applied = read_last_applied_digest(conn)

    secrets: dict[int, dict[str, LiveSecret]] = defaultdict(dict)
    for row in conn.execute(sa.select(t.credential_secrets)):
        secrets[row.credential_id][row.field] = LiveSecret(
            ref=row.reference or {},
            fingerprint=row.fingerprint,
            source_version=row.source_version,
            preview=row.preview,
            key_id=row.key_id,
        )

    names: dict[int, str] = {}
    for row in conn.execute(sa.select(t.credentials)):
        names[row.id] = row.name
        cred_state = CredentialState(
            name=row.name,
            provider=row.provider,
            display_name=row.display_name,
            description=row.description,
            config=dict(row.config or {}),
        )
        state.credentials[row.name] = LiveCredential(
            row.id,
            cred_state,
            bool(row.managed),
            secrets.get(row.id, {}),
            row.applied_digest,
            row.applied_values,
        )

    for row in conn.execute(models_query()):
        cred_name = names.get(row.credential_id) if row.credential_id is not None else None
        state.models[row.slug] = LiveModel(
            id=row.id,
            state=ModelState(row.slug, model_values(row, cred_name)),
            managed=bool(row.managed),
            active=bool(row.active),
            deactivated_at=row.deactivated_at,
            applied=row.applied_digest,
            written=row.applied_values,
        )

    settings_row = conn.execute(sa.select(t.settings).where(t.settings.c.id == 1)).first()
    if settings_row is not None:
        platform = settings_row.platform_credential_id
        state.settings = LiveSettings(
            SettingsState(
                settings_row.default_model_slug,
                names.get(platform) if platform is not None else None,
            ),
            bool(settings_row.managed),
            settings_row.applied_digest,
            settings_row.applied_values,
        )

    counts: dict[str, int] = defaultdict(int)
    shown: dict[str, list[str]] = defaultdict(list)
    query = (
        sa.select(t.workflows.c.model_slug, t.workflows.c.name)
        .where(t.workflows.c.active == sa.true(), t.workflows.c.model_slug.is_not(None))
        .order_by(t.workflows.c.model_slug, t.workflows.c.name)
    )
    for slug, name in conn.execute(query):
        counts[slug] += 1
        if len(shown[slug]) < WORKFLOW_NAMES_SHOWN:
            shown[slug].append(name)
    state.workflow_refs = {s: WorkflowRefs(n, tuple(shown[s])) for s, n in counts.items()}
    return state


def read_live_state(
    db_url: str, *, must_exist: bool = False, last_applied: bool = False
) -> LiveState:
    """The live registry, in one read transaction, after checking its schema is current.
    ``must_exist``: refuse a SQLite file that is not there (a read must not create one);
    ``last_applied``: see ``read_live``."""
    if must_exist:
        require_database(db_url)
    engine = make_engine(db_url, create=False)
    try:
        with gc_paused(), engine.connect() as conn, conn.begin():
            require_current(conn)
            return read_live(conn, last_applied=last_applied)
    except sa.exc.OperationalError as err:
        raise DatabaseError(
            f"cannot read the registry: {driver_reason(err, db_url)}",
            # an operational error (no connection, a bad URL setting, a refused login) is no
            # schema problem: a registry that is missing or not migrated is refused above
            hint=connection_hint(db_url),
        ) from None
    finally:
        engine.dispose()


def read_last_applied_digest(conn: sa.Connection) -> str | None:
    """The catalog digest of the last apply (the newest audit run); None: never applied."""
    runs = t.reconcile_runs.c
    query = sa.select(runs.catalog_digest).order_by(runs.id.desc()).limit(1)
    digest = conn.execute(query).scalar()
    return None if digest is None else str(digest)
