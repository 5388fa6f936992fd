"""The plan names its target: the registry database (never its user or password), the catalog
commit (from --commit, the CI's variable, or git; none without any) and the version."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from engine_helpers import cli, model_doc, write_catalog

from reconciler import __version__
from reconciler.provenance import _COMMIT_VARS

CANARY = "CANARY-db-password-9d1e"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def _no_ci_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests choose where the commit comes from, whatever CI runs them."""
    for var in _COMMIT_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "cat", [model_doc("a")])


def _upgrade(url: str) -> None:
    result = cli(["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output


def _plan(catalog: Path, db: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = cli(["plan", "--catalog", str(catalog), "--db", db, *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.postgres
def test_the_registry_is_named_without_its_user_or_password(
    pg_url: str, catalog: Path, tmp_path: Path
) -> None:
    # the server trusts local connections: the password (in the URL and in its query) is
    # accepted and ignored, so the plan runs and must still not show it
    url = sa.make_url(pg_url).set(password=CANARY, query={"password": CANARY + "-q"})
    db = url.render_as_string(hide_password=False)
    _upgrade(db)
    where = f"PostgreSQL 127.0.0.1:5432/{url.database}"
    out_file = tmp_path / "plan.json"
    outputs = {
        "text": _plan(catalog, db, "--out", str(out_file)),
        "markdown": _plan(catalog, db, "--format", "markdown"),
        "json": _plan(catalog, db, "--format", "json"),
        "plan file": out_file.read_text(encoding="utf-8"),
    }
    for name, out in outputs.items():
        assert CANARY not in out, name
        assert "postgres:" not in out, name  # nor the user
        assert "postgres@" not in out, name
    assert f"Registry: {where}\n" in outputs["text"]
    assert f"Registry `{where}`" in outputs["markdown"]
    database = json.loads(outputs["json"])["target"]["database"]
    assert database == {
        "backend": "postgresql",
        "host": "127.0.0.1",
        "port": 5432,
        "name": url.database,
    }


def test_a_sqlite_registry_is_named_by_its_file(tmp_path: Path, catalog: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _upgrade(db)
    out = _plan(catalog, db)
    assert f"Registry: SQLite {tmp_path / 'registry.db'}\n" in out
    assert f"Reconciler: {__version__}\n" in out
    assert "Commit:" not in out  # no git, no CI variable, no --commit: none claimed
    target = json.loads(_plan(catalog, db, "--format", "json"))["target"]
    assert target["commit"] is None
    assert target["reconciler_version"] == __version__


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_commit_is_the_catalogs_git_head(tmp_path: Path, catalog: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _upgrade(db)
    _git(catalog, "init", "-q")
    _git(catalog, "add", ".")
    _git(catalog, "commit", "-qm", "catalog")
    head = _git(catalog, "rev-parse", "HEAD")
    assert f"Commit: {head[:12]}\n" in _plan(catalog, db)
    # a plan of an edited checkout is not the commit's: it says so
    write_catalog(catalog, [model_doc("a"), model_doc("b")])
    assert f"Commit: {head[:12]} (with uncommitted changes)\n" in _plan(catalog, db)
    target = json.loads(_plan(catalog, db, "--format", "json"))["target"]
    assert target["commit"] == head
    assert target["uncommitted_changes"] is True
    markdown = _plan(catalog, db, "--format", "markdown")
    assert f" · Commit `{head[:12]} (with uncommitted changes)` · " in markdown


def test_the_commit_from_the_option_the_environment_or_ci(tmp_path: Path, catalog: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _upgrade(db)
    assert "Commit: 0123456\n" in _plan(catalog, db, "--commit", "0123456")
    assert f"Commit: {SHA[:12]}\n" in _plan(catalog, db, env={"RECONCILER_COMMIT": SHA})
    # CI's own variable, without git: what a pipeline from a tarball still knows
    ci = json.loads(_plan(catalog, db, "--format", "json", env={"GITHUB_SHA": SHA}))
    assert ci["target"]["commit"] == SHA
    # --commit wins over CI's variable (in a pull request that is the merge commit)
    other = "fedcba9876543210fedcba9876543210fedcba98"
    chosen = _plan(catalog, db, "--commit", other, env={"GITHUB_SHA": SHA})
    assert f"Commit: {other[:12]}\n" in chosen


def test_a_commit_that_is_not_a_sha_is_refused(tmp_path: Path, catalog: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _upgrade(db)
    result = cli(["plan", "--catalog", str(catalog), "--db", db, "--commit", "main; rm -rf /"])
    assert result.exit_code == 1
    assert "--commit (or RECONCILER_COMMIT) is not a commit id: 'main; rm -rf /'" in result.output
    assert "Traceback" not in result.output


def test_applys_preview_names_the_registry_it_writes(tmp_path: Path, catalog: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _upgrade(db)
    result = cli(
        ["apply", "--catalog", str(catalog), "--db", db, "--auto-approve"],
        env={"GITHUB_SHA": SHA},
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"Registry: SQLite {tmp_path / 'registry.db'}\nCommit: {SHA[:12]}\n"
        f"Reconciler: {__version__}\n\n"
    )


def test_a_base_plan_of_a_catalog_with_environments_names_the_base(
    tmp_path: Path, catalog: Path
) -> None:
    """Without --environment the base catalog is planned: where environments exist, the
    target says so; without environments there is nothing to tell apart."""
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _upgrade(db)
    assert "Environment:" not in _plan(catalog, db)
    (catalog / "environments" / "staging").mkdir(parents=True)
    assert _plan(catalog, db).startswith("Environment: base\n")
    assert "**base**" in _plan(catalog, db, "--format", "markdown")
    document = json.loads(_plan(catalog, db, "--format", "json"))
    assert "environment" not in document  # as before: the JSON names only a chosen environment
    staging = _plan(catalog, db, "--environment", "staging")
    assert staging.startswith("Environment: staging\n")
