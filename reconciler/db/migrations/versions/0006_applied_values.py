"""The values the reconciler last wrote to each managed row, field by field, so a plan and drift
name exactly the fields the application changed since (the row digest of 0003 can only say
that something changed). Rows written before this migration keep NULL until their next apply.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("credentials", "models", "settings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("applied_values", sa.JSON))


def downgrade() -> None:
    # not batch mode: copying these tables would drop their revision triggers (SQLite has had
    # DROP COLUMN since 3.35)
    for table in TABLES:
        op.drop_column(table, "applied_values")
