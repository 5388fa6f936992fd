"""Alembic migrations, run programmatically from inside the package."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from reconciler.db.engine import safe_url
from reconciler.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the latest revision; returns (revision before, revision after)."""
    from alembic import command

    cfg = _config()
    try:
        with engine.begin() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as err:
        raise _unreachable(engine, err) from None
    return before, head()


def current(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def require_current(conn: sa.Connection) -> None:
    """Refuse to work on a registry that is not migrated to this version's schema."""
    try:
        revision = current(conn)
    except SQLAlchemyError:
        revision = None
    if revision != head():
        state = "not initialized" if revision is None else f"at schema revision {revision}"
        raise DatabaseError(
            f"registry database is {state}; this reconciler needs revision {head()}",
            hint="run 'reconciler db upgrade' with the same --db",
        )


def _unreachable(engine: Engine, err: OperationalError) -> DatabaseError:
    reason = str(err.orig).strip().splitlines()[0] if err.orig is not None else "unknown error"
    return DatabaseError(
        f"cannot use database {safe_url(str(engine.url.render_as_string(False)))}: {reason}",
        hint="check --db / REGISTRY_DATABASE_URL and that the server is running",
    )
