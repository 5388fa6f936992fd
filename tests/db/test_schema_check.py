"""A registry a newer reconciler migrated, and one damaged by hand: every command and
``db upgrade`` say which, with exit 1, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from engine_helpers import cli, execute

from reconciler.db.engine import make_engine
from reconciler.db.migrate import head, upgrade
from reconciler.db.schema_check import Missing, missing

EXAMPLE = str(Path(__file__).resolve().parents[2] / "catalog")
ENV = {
    "REGISTRY_ENCRYPTION_KEY": "",
    "OPENROUTER_API_KEY": "k1-openrouter-canary",
    "ANTHROPIC_API_KEY": "k2-anthropic-canary",
    "OPENAI_API_KEY": "k3-openai-canary",
}


def _commands(url: str) -> list[list[str]]:
    return [
        ["plan", "--catalog", EXAMPLE, "--db", url],
        ["drift", "--catalog", EXAMPLE, "--db", url],
        ["models", "--db", url],
    ]


def test_a_registry_migrated_by_a_newer_reconciler_says_to_upgrade_the_tool(
    registry_url: str,
) -> None:
    newer = f"{int(head()) + 1:04d}"
    execute(registry_url, sa.text(f"UPDATE alembic_version SET version_num = '{newer}'"))
    for args in [*_commands(registry_url), ["db", "upgrade", "--db", registry_url]]:
        result = cli(args, env=ENV)
        assert result.exit_code == 1, (args, result.output)
        assert f"schema revision {newer}, newer than this reconciler" in result.output, args
        assert "upgrade the reconciler" in result.output
        assert "run 'reconciler db upgrade'" not in result.output
    # db upgrade left it alone
    engine = make_engine(registry_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert got == newer


def test_a_dropped_column_is_named_by_every_command_and_by_db_upgrade(registry_url: str) -> None:
    execute(registry_url, sa.text("ALTER TABLE models DROP COLUMN max_output_tokens"))
    for args in [*_commands(registry_url), ["db", "upgrade", "--db", registry_url]]:
        result = cli(args, env=ENV)
        assert result.exit_code == 1, (args, result.output)
        assert "schema is damaged" in result.output, args
        assert "lacks models.max_output_tokens" in result.output, args
        assert "up to date" not in result.output
        assert "internal error" not in result.output


def test_a_dropped_table_is_named(registry_url: str) -> None:
    execute(registry_url, sa.text("DROP TABLE workflows"))
    engine = make_engine(registry_url)
    try:
        with engine.connect() as conn:
            assert missing(conn) == [Missing("workflows")]
    finally:
        engine.dispose()
    result = cli(["models", "--db", registry_url], env=ENV)
    assert result.exit_code == 1, result.output
    assert "lacks table workflows" in result.output


def test_an_intact_registry_misses_nothing(registry_url: str) -> None:
    engine = make_engine(registry_url)
    try:
        with engine.connect() as conn:
            assert missing(conn) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(("item", "shown"), [(Missing("t"), "table t"), (Missing("t", "c"), "t.c")])
def test_missing_reads_as_table_or_column(item: Missing, shown: str) -> None:
    assert str(item) == shown


def test_db_upgrade_of_a_fresh_database_still_works(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert upgrade(engine) == (None, head())
    finally:
        engine.dispose()
