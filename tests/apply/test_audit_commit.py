"""The commit apply's audit row names is the one the plan names (reconciler.provenance): the same
sources, the same checks, on SQLite and PostgreSQL. A saved plan records the commit it named."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import cli, model_doc, revision, rows, write_catalog

from reconciler.provenance import _COMMIT_VARS

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture(autouse=True)
def _no_commit_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The tests choose where the commit comes from, whatever CI runs them; the catalog in
    tmp_path is in no git repository."""
    for var in _COMMIT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "cat", [model_doc("a")])


def _apply(url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    return cli(["apply", "--db", url, "--auto-approve", *args], env=env)


def _audited(url: str) -> list[Any]:
    return [r[0] for r in rows(url, "SELECT git_commit FROM reconcile_runs ORDER BY id")]


@pytest.mark.parametrize("var", ["RECONCILER_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA"])
def test_the_audit_row_names_the_commit_of_the_variable(
    registry_url: str, env: Any, catalog: Path, var: str
) -> None:
    result = _apply(registry_url, "--catalog", str(catalog), env={var: SHA.upper()})
    assert result.exit_code == 0, result.output
    assert f"Commit: {SHA[:12]}\n" in result.output  # the preview names the same one
    assert _audited(registry_url) == [SHA]


def test_reconciler_commit_is_read_before_the_ci_variable(
    registry_url: str, env: Any, catalog: Path
) -> None:
    # in a pull request GITHUB_SHA is the merge commit: RECONCILER_COMMIT wins, as in plan
    result = _apply(
        registry_url,
        "--catalog",
        str(catalog),
        env={"RECONCILER_COMMIT": OTHER, "GITHUB_SHA": SHA},
    )
    assert result.exit_code == 0, result.output
    assert _audited(registry_url) == [OTHER]


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("RECONCILER_COMMIT", f"{SHA}\x1b]0;owned\x07\r\nforged audit line"),
        ("GITHUB_SHA", f"{SHA}\x7f\x1b[2J\u202e"),
        ("RECONCILER_COMMIT", "main"),
        ("CI_COMMIT_SHA", "release-1.2 (hotfix)"),
    ],
)
def test_a_bad_commit_is_refused_and_nothing_is_written(
    registry_url: str, env: Any, catalog: Path, var: str, value: str
) -> None:
    result = _apply(registry_url, "--catalog", str(catalog), env={var: value})
    assert result.exit_code == 1, result.output
    assert f"{var} is not a commit id: " in result.output
    assert "7 to 64 hexadecimal digits" in result.output  # what a valid value looks like
    for char in "\x1b\x07\r\x7f\u202e":
        assert char not in result.output
    assert "Traceback" not in result.output
    assert _audited(registry_url) == []
    assert revision(registry_url) == 0


def test_plan_and_apply_refuse_the_same_value(registry_url: str, env: Any, catalog: Path) -> None:
    bad = {"GITHUB_SHA": "refs/pull/7/merge"}
    planned = cli(["plan", "--catalog", str(catalog), "--db", registry_url], env=bad)
    applied = _apply(registry_url, "--catalog", str(catalog), env=bad)
    assert planned.exit_code == applied.exit_code == 1
    message = "GITHUB_SHA is not a commit id: 'refs/pull/7/merge'"
    assert message in planned.output
    assert message in applied.output


def test_no_commit_known_is_recorded_as_none(registry_url: str, env: Any, catalog: Path) -> None:
    result = _apply(registry_url, "--catalog", str(catalog))
    assert result.exit_code == 0, result.output
    assert "Commit:" not in result.output
    assert _audited(registry_url) == [None]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_dirty_checkout_is_marked_in_the_preview_and_the_audit(
    registry_url: str, env: Any, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_CEILING_DIRECTORIES")
    _git(catalog, "init", "-q")
    _git(catalog, "add", ".")
    _git(catalog, "commit", "-qm", "catalog")
    head = _git(catalog, "rev-parse", "HEAD")
    write_catalog(catalog, [model_doc("a"), model_doc("b")])
    result = _apply(registry_url, "--catalog", str(catalog))
    assert result.exit_code == 0, result.output
    assert f"Commit: {head[:12]} (with uncommitted changes)\n" in result.output
    assert _audited(registry_url) == [f"{head}-dirty"]


def _save_plan(url: str, catalog: Path, out: Path, *args: str, env: dict[str, str]) -> None:
    result = cli(
        ["plan", "--catalog", str(catalog), "--db", url, "--out", str(out), *args], env=env
    )
    assert result.exit_code == 0, result.output


def test_a_saved_plan_records_the_commit_it_named(
    registry_url: str, env: Any, catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    _save_plan(registry_url, catalog, out, "--commit", SHA, env={})
    # applied later, elsewhere: the environment's commit (even a bad one) is not the plan's
    later = {"RECONCILER_COMMIT": OTHER, "GITHUB_SHA": "not\x1ba commit"}
    result = _apply(registry_url, str(out), env=later)
    assert result.exit_code == 0, result.output
    assert _audited(registry_url) == [SHA]


def test_a_saved_plan_of_a_dirty_checkout_records_it_dirty(
    registry_url: str, env: Any, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_CEILING_DIRECTORIES")
    (catalog / "notes.txt").write_text("committed\n")  # not part of the catalog's digest
    _git(catalog, "init", "-q")
    _git(catalog, "add", ".")
    _git(catalog, "commit", "-qm", "catalog")
    head = _git(catalog, "rev-parse", "HEAD")
    (catalog / "notes.txt").write_text("edited\n")  # the checkout is dirty, the catalog not
    out = tmp_path / "plan.json"
    _save_plan(registry_url, catalog, out, env={})
    result = _apply(registry_url, str(out), env={"GITHUB_SHA": OTHER})
    assert result.exit_code == 0, result.output
    assert _audited(registry_url) == [f"{head}-dirty"]


def test_a_saved_plan_without_a_commit_records_none(
    registry_url: str, env: Any, catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    _save_plan(registry_url, catalog, out, env={})
    result = _apply(registry_url, str(out), env={"GITHUB_SHA": SHA})
    assert result.exit_code == 0, result.output
    assert _audited(registry_url) == [None]


def _rewrite(path: Path, commit: str) -> None:
    """Put ``commit`` in the plan file's target and recompute its content digest, as someone
    editing it on purpose could."""
    document = json.loads(path.read_text(encoding="utf-8"))
    document["plan"]["target"]["commit"] = commit
    body = {k: v for k, v in document.items() if k != "content_digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    document["content_digest"] = hashlib.sha256(text.encode()).hexdigest()
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize("commit", [f"{SHA}\x1b[31m\nforged", "main", f"{SHA}-dirty"])
def test_a_plan_file_with_a_bad_commit_is_refused(
    registry_url: str, env: Any, catalog: Path, tmp_path: Path, commit: str
) -> None:
    out = tmp_path / "plan.json"
    _save_plan(registry_url, catalog, out, "--commit", SHA, env={})
    _rewrite(out, commit)
    result = _apply(registry_url, str(out))
    assert result.exit_code == 1, result.output
    assert f"cannot read plan file {out}" in result.output
    assert "\x1b" not in result.output
    assert _audited(registry_url) == []
