"""Which catalog commit a plan or an audit row names (reconciler.provenance.catalog_commit, the
only source of it): an option, RECONCILER_COMMIT, the CI's variable or git HEAD (marked when
the checkout has uncommitted changes); a value that is not a commit id is refused, naming
where it came from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.provenance import _COMMIT_VARS, Commit, actor, catalog_commit, parse_commit

SHA = "0123456789abcdef0123456789abcdef01234567"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def _no_commit_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in _COMMIT_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "m.yaml").write_text("kind: Model\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "catalog")
    _git(tmp_path, "tag", "-a", "v1", "-m", "release")  # never reported instead of the id
    return tmp_path


def test_clean_checkout_records_the_commit(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    commit = catalog_commit(repo / "catalog")
    assert commit == Commit(head)
    assert commit.audit_text() == head


def test_uncommitted_changes_are_marked_dirty(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    (repo / "catalog" / "m.yaml").write_text("kind: Model\ndisplay_name: X\n")
    commit = catalog_commit(repo / "catalog")
    assert commit == Commit(head, uncommitted=True)
    assert commit.audit_text() == f"{head}-dirty"


def test_ci_variable_wins_over_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", SHA.upper())
    assert catalog_commit(repo / "catalog") == Commit(SHA)


def test_reconciler_commit_wins_over_ci(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "not checked: RECONCILER_COMMIT is read first")
    monkeypatch.setenv("RECONCILER_COMMIT", "abcdef1")
    assert catalog_commit(repo / "catalog") == Commit("abcdef1")
    assert catalog_commit(repo / "catalog", SHA) == Commit(SHA)  # plan --commit first


def test_an_empty_variable_is_unset(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_COMMIT", "")
    monkeypatch.setenv("GITHUB_SHA", SHA)
    assert catalog_commit(repo / "catalog") == Commit(SHA)


@pytest.mark.parametrize("var", _COMMIT_VARS)
@pytest.mark.parametrize(
    "value",
    [
        f"{SHA}\x1b[31m",  # control characters
        "main",  # a branch name
        "abc12",  # too short to be an abbreviation git makes
        SHA + "0" * 25,  # longer than a SHA-256 id
        f"{SHA}\n",
        f"{SHA}-modified",
    ],
)
def test_a_value_that_is_not_a_commit_is_refused_naming_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ReconcilerError) as raised:
        catalog_commit(tmp_path)
    err = raised.value
    assert err.exit_code == 1
    assert err.message.startswith(f"{var} is not a commit id: ")
    assert "\x1b" not in str(err)
    assert "\n" not in err.message
    assert err.hint is not None
    assert "7 to 64 hexadecimal digits" in err.hint


def test_the_option_is_refused_as_the_option(tmp_path: Path) -> None:
    with pytest.raises(ReconcilerError, match=r"^--commit \(or RECONCILER_COMMIT\) is not"):
        catalog_commit(tmp_path, "HEAD")


def test_parse_commit() -> None:
    assert parse_commit(SHA) == Commit(SHA)
    assert parse_commit(f"{SHA.upper()}-dirty") == Commit(SHA, uncommitted=True)
    assert parse_commit("g123456") is None
    # a full SHA-256 id keeps its mark within the audit column
    long = Commit("a" * 64, uncommitted=True).audit_text()
    assert len(long) == 64
    assert long.endswith("-dirty")


def test_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert catalog_commit(tmp_path) is None


def test_the_actor_is_one_line_without_control_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECONCILER_ACTOR", "ci\x1b[31mbot\nApply complete")
    assert actor() == "ci\\u001b[31mbot\\nApply complete"
    monkeypatch.setenv("RECONCILER_ACTOR", "x" * 300)
    assert actor() == "x" * 255
    monkeypatch.setenv("RECONCILER_ACTOR", "")
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    assert actor() == "octocat"
