from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa

from reconciler.db.engine import make_engine
from reconciler.db.migrate import _config, head, script_head, upgrade
from reconciler.db.tables import metadata


def test_upgrade_creates_contract_tables_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert upgrade(engine) == (None, head())
        assert upgrade(engine) == (head(), head())
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"credentials", "models", "settings", "workflows", "reconcile_runs"} <= names


def test_migrations_match_table_definitions(registry_url: str) -> None:
    engine = make_engine(registry_url)
    try:
        inspector = sa.inspect(engine)
        for table in metadata.sorted_tables:
            live = {c["name"] for c in inspector.get_columns(table.name)}
            assert live == {c.name for c in table.columns}, table.name
    finally:
        engine.dispose()


def test_writes_to_managed_tables_bump_the_revision(registry_url: str) -> None:
    engine = make_engine(registry_url)
    try:
        with engine.begin() as conn:
            before = conn.execute(sa.text("SELECT revision FROM registry_meta")).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO credentials (name, provider, config, managed, created_at,"
                    " updated_at) VALUES ('x', 'openai', '{}', false, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                )
            )
            after = conn.execute(sa.text("SELECT revision FROM registry_meta")).scalar_one()
    finally:
        engine.dispose()
    assert after > before


def test_pinned_head_is_the_newest_migration() -> None:
    assert head() == script_head(), "update HEAD in reconciler/db/migrate.py"


def _registry_id(url: str) -> str:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT registry_id FROM registry_meta")).scalar_one()
    finally:
        engine.dispose()
    assert isinstance(found, str)
    return found


def test_each_registry_gets_its_own_identity(db_url: str, tmp_path: Path) -> None:
    first = _registry_id(db_url)
    assert uuid.UUID(first)
    assert _registry_id(db_url) == first  # upgrading again keeps it
    assert _registry_id(f"sqlite:///{tmp_path / 'other.db'}") != first


def _downgrade(engine: sa.Engine, target: str) -> None:
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def _revision_after_insert(engine: sa.Engine, name: str) -> tuple[int, int]:
    with engine.begin() as conn:
        before = conn.execute(sa.text("SELECT revision FROM registry_meta")).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO credentials (name, provider, config, managed, created_at,"
                " updated_at) VALUES (:n, 'openai', '{}', false, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            ),
            {"n": name},
        )
        after = conn.execute(sa.text("SELECT revision FROM registry_meta")).scalar_one()
    return int(before), int(after)


def test_every_migration_downgrades_with_its_triggers_intact(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        for target in ("0005", "0004", "0003", "0002", "0001"):
            _downgrade(engine, target)
            before, after = _revision_after_insert(engine, f"cred-{target}")
            assert after == before + 1, target  # the revision trigger survived
        _downgrade(engine, "base")
        assert "registry_meta" not in sa.inspect(engine).get_table_names()
        assert upgrade(engine) == (None, head())
    finally:
        engine.dispose()


def test_a_file_that_is_not_a_database_is_a_user_error_and_stays_untouched(
    tmp_path: Path,
) -> None:
    """`db upgrade` used to exit 70 on it, after `plan` sent the user there."""
    from click.testing import CliRunner

    from reconciler.cli import main

    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"not a database\n" * 100)
    url = f"sqlite:///{garbage}"
    for args in (
        ["db", "upgrade", "--db", url],
        ["plan", "--db", url, "--catalog", str(Path(__file__).parents[2] / "catalog")],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "is not a usable registry database: file is not a database" in result.output
        assert "Traceback" not in result.output
    assert garbage.read_bytes() == b"not a database\n" * 100
