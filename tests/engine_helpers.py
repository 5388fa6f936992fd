"""Shared builders for the engine tests: small catalogs on disk, app-owned rows, table dumps,
and a click runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.db import tables as t
from reconciler.db.engine import make_engine

CANARY = "sk-CANARY-secret-value-0123456789"
ALL_TABLES = (
    "registry_meta",
    "credentials",
    "credential_secrets",
    "models",
    "settings",
    "workflows",
    "reconcile_runs",
)


def model_doc(slug: str, **overrides: Any) -> dict[str, Any]:
    """A valid custom model document (no credential unless given)."""
    doc: dict[str, Any] = {
        "kind": "Model",
        "display_name": f"Model {slug}",
        "slug": slug,
        "deployment": "custom",
        "provider": "openai",
        "model_id": f"id-{slug}",
        "context_window": 1000,
    }
    doc.update(overrides)
    return doc


def credential_doc(name: str, env: str = "CANARY_KEY", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "ProviderCredential",
        "name": name,
        "provider": "openai",
        "api_key": {"env": env},
    }
    doc.update(overrides)
    return doc


def write_catalog(
    root: Path,
    models: Sequence[Mapping[str, Any]],
    credentials: Sequence[Mapping[str, Any]] = (),
    default_model: str | None = None,
) -> Path:
    """Write a catalog: one multi-document models file, one credentials file, settings.
    Rewrites (and removes stale files of) an existing catalog in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("*.yaml"):
        old.unlink()
    dump = yaml.CSafeDumper
    if models:
        (root / "models.yaml").write_text(
            yaml.dump_all([dict(m) for m in models], Dumper=dump, sort_keys=False),
            encoding="utf-8",
        )
    if credentials:
        (root / "credentials.yaml").write_text(
            yaml.dump_all([dict(c) for c in credentials], Dumper=dump, sort_keys=False),
            encoding="utf-8",
        )
    if models:
        default = default_model or str(models[0]["slug"])
        (root / "settings.yaml").write_text(
            yaml.dump({"kind": "Settings", "default_model": default}, Dumper=dump),
            encoding="utf-8",
        )
    return root


def engine_for(url: str) -> sa.Engine:
    return make_engine(url)


def execute(url: str, *statements: Any) -> None:
    """Run statements in one committed transaction (as the application would)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for stmt in statements:
                conn.execute(sa.text(stmt) if isinstance(stmt, str) else stmt)
    finally:
        engine.dispose()


def scalar(url: str, query: str, **params: Any) -> Any:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), params).scalar()
    finally:
        engine.dispose()


def rows(url: str, query: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query), params)]
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def insert_app_model(url: str, slug: str, *, active: bool = True, **values: Any) -> None:
    """An application-owned (managed=false) model row."""
    row: dict[str, Any] = {
        "slug": slug,
        "display_name": f"App {slug}",
        "deployment": "custom",
        "provider": "openai",
        "model_id": f"app-{slug}",
        "context_window": 4096,
        "managed": False,
        "active": active,
        "created_at": _now(),
        "updated_at": _now(),
    }
    row.update(values)
    execute(url, sa.insert(t.models).values(row))


def insert_app_credential(url: str, name: str, provider: str = "openai") -> None:
    execute(
        url,
        sa.insert(t.credentials).values(
            name=name,
            provider=provider,
            config={},
            managed=False,
            created_at=_now(),
            updated_at=_now(),
        ),
    )


def insert_workflows(
    url: str, pairs: Iterable[tuple[str, str | None]], active: bool = True
) -> None:
    execute(
        url,
        *(
            sa.insert(t.workflows).values(name=name, model_slug=slug, active=active)
            for name, slug in pairs
        ),
    )


def dump(url: str, tables: Sequence[str] = ALL_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order, for before/after comparisons."""
    engine = make_engine(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as conn:
            for name in tables:
                table = t.metadata.tables[name]
                result = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                out[name] = [tuple(r) for r in result]
    finally:
        engine.dispose()
    return out


def revision(url: str) -> int:
    return int(scalar(url, "SELECT revision FROM registry_meta WHERE id = 1"))


def cli(args: Sequence[str], env: Mapping[str, str] | None = None) -> Result:
    """Run the real CLI in-process; stdin is not a terminal (non-interactive)."""
    # reconciler.commands.{plan,apply} bind ``out: TextIO = sys.stdout`` when first imported,
    # so a second in-process invocation would write to the first runner's stream. Forget the
    # modules so the command's lazy import binds this runner's stdout, as a fresh process would.
    for name in ("reconciler.commands.apply", "reconciler.commands.plan"):
        sys.modules.pop(name, None)
    runner = CliRunner()
    merged = {**os.environ, **(env or {})}
    return runner.invoke(main, list(args), env=merged, catch_exceptions=False)


EXAMPLE_SECRETS = {
    "OPENROUTER_API_KEY": "sk-or-CANARY-openrouter-0000000001",
    "ANTHROPIC_API_KEY": "sk-ant-CANARY-anthropic-000000002",
    "OPENAI_API_KEY": "sk-proj-CANARY-openai-00000000003",
    "CANARY_KEY": CANARY,
}


def secret_env() -> dict[str, str]:
    """A fresh registry key plus canary values for every env secret the test catalogs use."""
    from reconciler.secrets.crypto import KEY_ENV, generate_key_text

    return {KEY_ENV: generate_key_text(), "RECONCILER_ACTOR": "test-actor", **EXAMPLE_SECRETS}


def apply_process(url: str, root: Path, lock_timeout: float, **popen: Any) -> subprocess.Popen[Any]:
    """``reconciler apply --auto-approve`` in a child process (to kill it, or race several),
    with no REGISTRY_* settings inherited from the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "reconciler", "apply", "--catalog", str(root)]
    command += ["--db", url, "--auto-approve", "--lock-timeout", str(lock_timeout)]
    return subprocess.Popen(command, env=env, **popen)


def verbose_apply_process(
    url: str, root: Path, lock_timeout: float, **popen: Any
) -> subprocess.Popen[Any]:
    """:func:`apply_process` with ``reconciler -v``: progress is logged to stderr, among it
    "holding the registry lock; re-reading the registry" once the apply transaction holds the
    lock (see reconciler.apply.apply)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "reconciler", "-v", "apply", "--catalog", str(root)]
    command += ["--db", url, "--auto-approve", "--lock-timeout", str(lock_timeout)]
    return subprocess.Popen(command, env=env, **popen)


def apply(url: str, catalog: str | Path, *extra: str) -> Any:
    """``reconciler apply --auto-approve`` through the CLI."""
    return cli(["apply", "--catalog", str(catalog), "--db", url, "--auto-approve", *extra])


def plan(url: str, catalog: str | Path, *extra: str) -> Any:
    """``reconciler plan`` through the CLI."""
    return cli(["plan", "--catalog", str(catalog), "--db", url, *extra])
