"""A random identity for the registry, so a plan saved against one registry is refused by
another (staging's plan applied to production) instead of reported as merely stale.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("registry_meta", sa.Column("registry_id", sa.String(36)))
    meta = sa.table("registry_meta", sa.column("id"), sa.column("registry_id"))
    op.execute(meta.update().where(meta.c.id == 1).values(registry_id=str(uuid.uuid4())))


def downgrade() -> None:
    # not batch mode: copying registry_meta would break the triggers that update it (SQLite
    # has had DROP COLUMN since 3.35)
    op.drop_column("registry_meta", "registry_id")
