"""Triggers that bump registry_meta.revision on any write to a managed table.

They catch edits made by the application too, which is what makes a saved plan detectably
stale. PostgreSQL fires once per statement; SQLite only has row triggers.
"""

from __future__ import annotations

from alembic import op

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION reconciler_bump_revision() RETURNS trigger AS $$
BEGIN
    UPDATE registry_meta SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
_BUMP = "UPDATE registry_meta SET revision = revision + 1 WHERE id = 1"


def create_function() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)


def create_revision_trigger(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_bump_revision AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION reconciler_bump_revision()"
        )
        return
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_bump_revision_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {_BUMP}; END"
        )


def drop_revision_trigger(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_revision ON {table}")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_revision_{event}")
