"""Who and what an audit row records: the commit of the catalog checkout, marked when dirty."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler.provenance import git_commit


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "GIT_COMMIT"):
        monkeypatch.delenv(var, raising=False)
    _git(tmp_path, "init", "-q")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "m.yaml").write_text("kind: Model\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "catalog")
    _git(tmp_path, "tag", "-a", "v1", "-m", "release")  # never reported instead of the id
    return tmp_path


def test_clean_checkout_records_the_commit(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    assert git_commit(repo / "catalog") == head


def test_uncommitted_changes_are_marked_dirty(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    (repo / "catalog" / "m.yaml").write_text("kind: Model\ndisplay_name: X\n")
    assert git_commit(repo / "catalog") == f"{head}-dirty"


def test_ci_variable_wins(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    assert git_commit(repo / "catalog") == "abc123"


def test_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("GIT_COMMIT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert git_commit(tmp_path) is None
