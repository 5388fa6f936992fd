"""The environment a registry is bound to (recorded by its first apply), so applying another
environment's catalog to it is refused; and the environment of each audit run.

NULL: not bound yet (no apply since this migration); '' is the base catalog.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("registry_meta", "reconcile_runs")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("environment", sa.String(63)))


def downgrade() -> None:
    # not batch mode: copying registry_meta would break the triggers that update it (SQLite
    # has had DROP COLUMN since 3.35)
    for table in TABLES:
        op.drop_column(table, "environment")
