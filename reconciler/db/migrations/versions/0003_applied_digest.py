"""Digest of the values the reconciler last wrote to each managed row, so drift can tell
rows edited in the application from catalog changes not yet applied.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("credentials", "models", "settings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("applied_digest", sa.String(32)))


def downgrade() -> None:
    # not batch mode: copying these tables would drop their revision triggers (SQLite has had
    # DROP COLUMN since 3.35)
    for table in TABLES:
        op.drop_column(table, "applied_digest")
