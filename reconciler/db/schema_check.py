"""Compare the live tables with what the migration head defines (reconciler.db.tables).

A registry at the head revision can still be damaged by hand (a dropped column or table);
``db upgrade`` would then say "up to date", so the commands name what is missing instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from reconciler.db import tables
from reconciler.errors import DatabaseError


@dataclass(frozen=True)
class Missing:
    """A table (``column`` None) or a column the head schema has and the database lacks."""

    table: str
    column: str | None = None

    def __str__(self) -> str:
        return f"table {self.table}" if self.column is None else f"{self.table}.{self.column}"


# One statement for every table's columns (the inspector would send one per table on SQLite).
_COLUMNS = {
    "sqlite": "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
    "WHERE m.type = 'table'",
    # pg_catalog, not information_schema: that one hides tables the role has no grant on
    "postgresql": "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute AS a "
    "JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
    "AND a.attnum > 0 AND NOT a.attisdropped",
}


def live_columns(conn: sa.Connection) -> dict[str, set[str]]:
    """Each table of the database with its column names."""
    found: dict[str, set[str]] = {}
    for table, column in conn.execute(sa.text(_COLUMNS[conn.dialect.name])):
        found.setdefault(str(table), set()).add(str(column))
    return found


def missing(conn: sa.Connection, metadata: sa.MetaData = tables.metadata) -> list[Missing]:
    """What the head schema defines and the database lacks."""
    live = live_columns(conn)
    found: list[Missing] = []
    for table in metadata.sorted_tables:
        if table.name not in live:
            found.append(Missing(table.name))
            continue
        found.extend(
            Missing(table.name, c.name) for c in table.columns if c.name not in live[table.name]
        )
    return found


def require_schema(conn: sa.Connection) -> None:
    gone = missing(conn)
    if gone:
        raise DatabaseError(
            "the registry's schema is damaged: it is at the current revision but lacks "
            + ", ".join(map(str, gone)),
            hint="'reconciler db upgrade' cannot repair this (it only applies new "
            "migrations): restore the registry from a backup, or recreate what is missing as "
            "reconciler/db/tables.py defines it",
        )
