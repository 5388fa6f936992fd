"""Alembic migrations, run programmatically from inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from reconciler.db.engine import (
    connection_hint,
    driver_reason,
    make_engine,
    permission_problem,
    refuse_in_memory,
    safe_url,
    written_url,
)
from reconciler.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. Pinned so that plan/apply check the schema without importing alembic
# (a tenth of a second of start-up); tests/db/test_migrate.py fails when it falls behind.
HEAD = "0006"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def script_head() -> str:
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def head() -> str:
    return HEAD


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the latest revision; returns (revision before, revision after)."""
    from alembic import command

    cfg = _config()
    try:
        with engine.begin() as conn:
            before = current(conn)
            refuse_newer(before)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            require_schema(conn)  # "up to date" must not hide a table damaged by hand
    except OperationalError as err:
        raise _unreachable(engine, err) from None
    except sa.exc.DatabaseError as err:
        raise not_a_registry(engine, err) from None
    return before, head()


def upgrade_url(db_url: str) -> tuple[str | None, str]:
    """``upgrade`` the registry at ``db_url`` (made when it is a new SQLite file)."""
    refuse_in_memory(db_url)
    engine = make_engine(db_url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()


def not_a_registry(engine: Engine, err: sa.exc.DatabaseError) -> DatabaseError:
    """The database answered but is not one we can use (a SQLite URL naming another file)."""
    return DatabaseError(
        f"{safe_url(written_url(engine))} is not a usable registry database: "
        f"{driver_reason(err, engine)}",
        hint="point --db / REGISTRY_DATABASE_URL at the registry (a new SQLite path is created "
        "by 'reconciler db upgrade'); a file that is not a SQLite database is never overwritten",
    )


def current(conn: sa.Connection) -> str | None:
    """The schema revision alembic recorded, or None for an empty database."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _readable_revision(conn: sa.Connection) -> str | None:
    try:
        return current(conn)
    except SQLAlchemyError as err:
        problem = permission_problem(err, conn.engine)
        if problem is not None:  # not "not initialized": the table is there, just not readable
            raise problem from None
        if not isinstance(err, OperationalError) and isinstance(err, sa.exc.DatabaseError):
            raise not_a_registry(conn.engine, err) from None  # "file is not a database"
        return None


def is_newer(revision: str | None) -> bool:
    """Whether a recorded revision is one this package does not know: a newer reconciler
    migrated the registry (revisions are numbered; anything unnumbered is not ours either)."""
    if revision is None:
        return False
    return not revision.isdigit() or int(revision) > int(head())


def refuse_newer(revision: str | None) -> None:
    if is_newer(revision):
        raise DatabaseError(
            f"the registry is at schema revision {revision}, newer than this reconciler "
            f"knows (it was migrated by a newer reconciler; this one knows up to {head()})",
            hint="upgrade the reconciler (pip install -U llm-registry-reconciler, or the "
            "version your CI pins) rather than the database",
        )


def require_schema(conn: sa.Connection) -> None:
    from reconciler.db.schema_check import require_schema as check

    check(conn)


def require_current(conn: sa.Connection) -> None:
    """Refuse to work on a registry that is not migrated to this version's schema, or whose
    tables lack what this version's schema defines (damaged by hand)."""
    revision = _readable_revision(conn)
    refuse_newer(revision)
    if revision != head():
        state = "not initialized" if revision is None else f"at schema revision {revision}"
        raise DatabaseError(
            f"registry database is {state}; this reconciler needs revision {head()}",
            hint="run 'reconciler db upgrade' with the same --db",
        )
    require_schema(conn)


# What the runtime client (reconciler.runtime) reads exists since this revision. Migrations only
# add tables and nullable columns, so an application may run the client against a registry a
# newer or older reconciler migrated, as long as it is at least here. Raise it when a migration
# changes what the runtime reads.
RUNTIME_MINIMUM = "0002"


def require_at_least(conn: sa.Connection, minimum: str) -> None:
    """Refuse a registry older than ``minimum`` (or not initialized); newer ones are fine."""
    revision = _readable_revision(conn)
    if revision is None or not revision.isdigit() or int(revision) < int(minimum):
        state = "not initialized" if revision is None else f"at schema revision {revision}"
        raise DatabaseError(
            f"registry database is {state}; reading it needs revision {minimum} or later",
            hint="run 'reconciler db upgrade' against it",
        )


def _unreachable(engine: Engine, err: OperationalError) -> DatabaseError:
    return DatabaseError(
        f"cannot use database {safe_url(written_url(engine))}: {driver_reason(err, engine)}",
        hint=connection_hint(engine),
    )
