"""Initial registry schema: credentials, models, settings, workflows, reconcile_runs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reconciler.db import triggers

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    meta = op.create_table(
        "registry_meta",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.bulk_insert(meta, [{"id": 1, "revision": 0}])
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("display_name", sa.String(255)),
        sa.Column("description", sa.Text),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(255), nullable=False, unique=True),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("deployment", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(255), nullable=False),
        sa.Column(
            "credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="RESTRICT")
        ),
        sa.Column("category", sa.String(16)),
        sa.Column("release_date", sa.String(10)),
        sa.Column("context_window", sa.Integer, nullable=False),
        sa.Column("max_output_tokens", sa.Integer),
        sa.Column("supports_json_mode", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("supports_vision", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("supports_tool_use", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reasoning_parameter", sa.String(16)),
        sa.Column("input_cost_per_token", sa.Float(precision=53)),
        sa.Column("output_cost_per_token", sa.Float(precision=53)),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("deactivated_at", _TS),
        sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("default_model_slug", sa.String(255)),
        sa.Column(
            "platform_credential_id",
            sa.Integer,
            sa.ForeignKey("credentials.id", ondelete="RESTRICT"),
        ),
        sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("model_slug", sa.String(255)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_index("ix_workflows_model_slug", "workflows", ["model_slug"])
    op.create_table(
        "reconcile_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("plan_digest", sa.String(64), nullable=False),
        sa.Column("catalog_digest", sa.String(64), nullable=False),
        sa.Column("revision_before", sa.BigInteger, nullable=False),
        sa.Column("revision_after", sa.BigInteger, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
    )
    triggers.create_function()
    for table in ("credentials", "models", "settings"):
        triggers.create_revision_trigger(table)


def downgrade() -> None:
    for table in ("credentials", "models", "settings"):
        triggers.drop_revision_trigger(table)
    for table in ("reconcile_runs", "workflows", "settings", "models", "credentials"):
        op.drop_table(table)
    op.drop_table("registry_meta")
