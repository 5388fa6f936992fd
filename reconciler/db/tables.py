"""The registry's tables (SQLAlchemy Core). Their names are a contract with the application.

These definitions describe the schema the migrations build; the migrations, not
``metadata.create_all``, create it. A test checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A single row whose revision changes on every write to a managed table (triggers), so a saved
# plan can tell whether the registry moved since it was made, and which registry it was made
# against.
registry_meta = sa.Table(
    "registry_meta",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("registry_id", sa.String(36)),  # random, set by migration 0004
    # the environment the registry is bound to: NULL until the first apply, '' the base
    sa.Column("environment", sa.String(63)),
)

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255)),
    sa.Column("description", sa.Text),
    sa.Column("provider", sa.String(32), nullable=False),
    # Plain settings of the credential (region, endpoint_url, base_url); never secret values.
    sa.Column("config", sa.JSON, nullable=False),
    # digest of the values the reconciler last wrote (see state.records.applied_digest)
    sa.Column("applied_digest", sa.String(32)),
    # the values it last wrote, by field (migration 0006; NULL: written before it)
    sa.Column("applied_values", sa.JSON),
    sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per secret field of a credential: ciphertext only, with a masked preview and a keyed
# fingerprint so a plan can tell whether a secret changed without decrypting anything.
credential_secrets = sa.Table(
    "credential_secrets",
    metadata,
    sa.Column(
        "credential_id",
        sa.Integer,
        sa.ForeignKey("credentials.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("reference", sa.JSON, nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("ciphertext", sa.Text, nullable=False),
    sa.Column("preview", sa.String(32), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("source_version", sa.String(255)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("slug", sa.String(255), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("deployment", sa.String(16), nullable=False),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("model_id", sa.String(255), nullable=False),
    sa.Column("credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="RESTRICT")),
    sa.Column("category", sa.String(16)),
    sa.Column("release_date", sa.String(10)),
    sa.Column("context_window", sa.Integer, nullable=False),
    sa.Column("max_output_tokens", sa.Integer),
    sa.Column("supports_json_mode", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("supports_vision", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("supports_tool_use", sa.Boolean, nullable=False, server_default=sa.false()),
    # NULL: no extended reasoning; otherwise the parameter shape ('effort' or 'max_tokens').
    sa.Column("reasoning_parameter", sa.String(16)),
    sa.Column("input_cost_per_token", sa.Float(precision=53)),
    sa.Column("output_cost_per_token", sa.Float(precision=53)),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("deactivated_at", sa.DateTime(timezone=True)),
    # digest of the values the reconciler last wrote (see state.records.applied_digest)
    sa.Column("applied_digest", sa.String(32)),
    # the values it last wrote, by field (migration 0006; NULL: written before it)
    sa.Column("applied_values", sa.JSON),
    sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("default_model_slug", sa.String(255)),
    sa.Column(
        "platform_credential_id",
        sa.Integer,
        sa.ForeignKey("credentials.id", ondelete="RESTRICT"),
    ),
    # digest of the values the reconciler last wrote (see state.records.applied_digest)
    sa.Column("applied_digest", sa.String(32)),
    # the values it last wrote, by field (migration 0006; NULL: written before it)
    sa.Column("applied_values", sa.JSON),
    sa.Column("managed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Owned by the application; the reconciler reads it (impact counts) and repoints renamed slugs.
workflows = sa.Table(
    "workflows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("model_slug", sa.String(255), index=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

reconcile_runs = sa.Table(
    "reconcile_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("git_commit", sa.String(64)),
    sa.Column("plan_digest", sa.String(64), nullable=False),
    sa.Column("catalog_digest", sa.String(64), nullable=False),
    sa.Column("revision_before", sa.BigInteger, nullable=False),
    sa.Column("revision_after", sa.BigInteger, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("environment", sa.String(63)),  # '' the base catalog
)
