"""The published pre-commit hooks, run by the real ``pre-commit try-repo`` from another repository.

try-repo builds a fresh environment per run (it pip-installs this package, and the lint hook
its litellm extra), so the suite runs it twice: both hooks on a good catalog, and the light
validate hook on a broken one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from source_tree import REPO, git_init, snapshot

BROKEN = REPO / "tests" / "catalog" / "corpus" / "rule-max-output-exceeds-context" / "catalog"
HOOK_IDS = ["reconciler-validate", "reconciler-lint"]


def _hooks(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text("utf-8"))
    if isinstance(data, dict):  # a config: the hooks of all its repos
        return [hook for repo in data["repos"] for hook in repo["hooks"]]
    assert isinstance(data, list)
    return data


def _pre_commit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_manifest_and_config_are_valid_for_pre_commit() -> None:
    code, output = _pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=REPO)
    assert code == 0, output
    code, output = _pre_commit("validate-config", ".pre-commit-config.yaml", cwd=REPO)
    assert code == 0, output


def test_published_hooks_check_the_whole_catalog_on_catalog_yaml() -> None:
    hooks = {hook["id"]: hook for hook in _hooks(REPO / ".pre-commit-hooks.yaml")}
    assert list(hooks) == HOOK_IDS
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["args"] == ["--catalog", "catalog"]
        assert hook["files"] == r"^catalog/.*\.ya?ml$"
    # validate needs the core install only; lint brings litellm's model data
    assert "additional_dependencies" not in hooks["reconciler-validate"]
    assert hooks["reconciler-lint"]["additional_dependencies"] == [
        "llm-registry-reconciler[litellm]"
    ]


def test_own_config_runs_the_published_hooks_and_ruff_at_the_pinned_version() -> None:
    published = {hook["id"]: hook for hook in _hooks(REPO / ".pre-commit-hooks.yaml")}
    own = {hook["id"]: hook for hook in _hooks(REPO / ".pre-commit-config.yaml")}
    for hook_id, hook in published.items():
        mine = own[hook_id]
        assert mine["entry"] == ".venv/bin/" + hook["entry"]
        for key in ("files", "args", "pass_filenames"):
            assert mine[key] == hook[key], (hook_id, key)
    ruff_pin = next(
        line
        for line in (REPO / "constraints.txt").read_text("utf-8").splitlines()
        if line.startswith("ruff==")
    )
    for hook_id in ("ruff-check", "ruff-format"):
        assert own[hook_id]["additional_dependencies"] == [ruff_pin]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot(tmp_path_factory.mktemp("hook-repo"))


def _catalog_repo(root: Path, catalog: Path) -> Path:
    shutil.copytree(catalog, root / "catalog")
    (root / "README.md").write_text("a catalog repository\n", encoding="utf-8")
    git_init(root)
    return root


def _try_repo(hook_repo: Path, target: Path, *hook: str) -> tuple[int, str]:
    env = dict(os.environ)
    # the tested versions, and no byte-compiling of litellm: the environment is thrown away
    env["PIP_CONSTRAINT"] = str(REPO / "constraints.txt")
    env["PIP_NO_COMPILE"] = "1"
    env["PRE_COMMIT_HOME"] = str(target.parent / "pre-commit-home")
    env.pop("REGISTRY_DATABASE_URL", None)
    args = ["try-repo", str(hook_repo), *hook, "--all-files", "--verbose", "--color", "never"]
    return _pre_commit(*args, cwd=target, env=env)


@pytest.mark.slow
def test_try_repo_runs_both_hooks_on_a_good_catalog(hook_repo: Path, tmp_path: Path) -> None:
    target = _catalog_repo(tmp_path / "good", REPO / "catalog")
    code, output = _try_repo(hook_repo, target)
    assert code == 0, output
    assert "reconciler validate" in output, output
    assert "reconciler lint" in output, output
    assert output.count("Passed") == 2, output
    assert "catalog/ is valid: 15 models, 3 credentials" in output, output
    # lint ran against litellm's data (its summary, in parentheses; validate's is not)
    assert "notes, 2 suppressed (15 models, 3 credentials)" in output, output


@pytest.mark.slow
def test_try_repo_validate_fails_a_broken_catalog(hook_repo: Path, tmp_path: Path) -> None:
    target = _catalog_repo(tmp_path / "broken", BROKEN)
    code, output = _try_repo(hook_repo, target, "reconciler-validate")
    assert code == 1, output
    assert "reconciler validate" in output, output
    assert "Failed" in output, output
    assert "catalog/models/gpt-5-5.yaml:7:20: error[max-output-exceeds-context]" in output, output
