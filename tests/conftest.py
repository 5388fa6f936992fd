"""Shared fixtures: a fresh registry database per test, on SQLite and on PostgreSQL.

PostgreSQL tests need the server at RECONCILER_TEST_PG (default: postgres on 127.0.0.1:5432).
With CI=true they are mandatory: an unreachable server fails them instead of skipping.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from loopback import Behaviour, Loopback, loopback_server

from reconciler.db.engine import make_engine
from reconciler.db.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "RECONCILER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = REPO / "catalog"
_pg_error: list[str] = []


def _pg_reachable() -> str | None:
    """None when the server answers, else the reason (cached for the session)."""
    if not _pg_error:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            _pg_error.append("")
        except sa.exc.OperationalError as err:
            _pg_error.append(str(err.orig).splitlines()[0] if err.orig else str(err))
        finally:
            engine.dispose()
    return _pg_error[0] or None


def require_postgres() -> None:
    reason = _pg_reachable()
    if reason is None:
        return
    message = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (mandatory when CI=true)")
    pytest.skip(message + " (set CI=true to make this a failure)")


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    require_postgres()
    name = f"reconciler_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (not migrated), once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        with fresh_pg_database() as url:
            yield url


@pytest.fixture
def registry_url(db_url: str) -> str:
    """A migrated, empty registry, once per backend."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return db_url


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Loopback]:
    """A loopback HTTP server speaking each provider's wire format (tests/loopback.py). Its
    Behaviour takes the keyword arguments of the ``loopback`` markers, the test's own over its
    module's (``pytestmark = pytest.mark.loopback(valid_keys={GOOD})``)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("loopback"))):
        options.update(marker.kwargs)
    with loopback_server(Behaviour(**options)) as srv:
        yield srv
