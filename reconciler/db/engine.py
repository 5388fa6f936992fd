"""Engines for the registry: SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite's driver is put in autocommit mode and we emit BEGIN ourselves, so a write transaction
can be ``BEGIN IMMEDIATE`` (taking the write lock up front) and reads stay plain ``BEGIN``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from reconciler.errors import DatabaseError

IMMEDIATE = "reconciler_immediate"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(url: str, *, busy_timeout: float = 30.0) -> Engine:
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise DatabaseError(
            "database URL is not valid",
            hint="use sqlite:///registry.db or postgresql+psycopg://user@host/dbname",
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, busy_timeout)
        return sa.create_engine(parsed, pool_pre_ping=False)
    except NoSuchModuleError:
        raise DatabaseError(
            f"unsupported database URL scheme '{parsed.drivername}'",
            hint="use sqlite:/// or postgresql+psycopg://",
        ) from None


def _sqlite_engine(url: sa.URL, busy_timeout: float) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
