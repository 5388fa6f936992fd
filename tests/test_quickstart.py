"""The README's quick start, run twice in the same copy of the repository: the second run
reuses the demo key and applies nothing new (the venv steps use this test's own venv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quick_start_steps() -> list[str]:
    """The quick start's command (the first ``python3 -m venv`` line of the README), split at
    ``&&``, without the steps that make the venv and install into it."""
    readme = (REPO / "README.md").read_text("utf-8")
    [line, *_] = [ln for ln in readme.splitlines() if ln.startswith("python3 -m venv .venv")]
    steps = [step.strip() for step in line.split(" && ")]
    return [s for s in steps if not s.startswith(("python3 -m venv", ".venv/bin/pip"))]


def _run(steps: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    command = " && ".join(steps).replace(".venv/bin/", bin_dir + "/")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_quick_start_runs_twice(tmp_path: Path) -> None:
    steps = quick_start_steps()
    assert any("keygen --file" in s for s in steps)
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copytree(REPO / "catalog", clone / "catalog")
    first = _run(steps, clone)
    assert first.returncode == 0, first.stderr
    key = (clone / ".demo-registry-key").read_text()
    second = _run(steps, clone)
    assert second.returncode == 0, second.stderr
    assert "No changes" in second.stdout or "no changes" in second.stdout.lower(), second.stdout
    assert (clone / ".demo-registry-key").read_text() == key
    assert "demo-" not in key


def test_the_demo_key_file_is_git_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".demo-registry-key"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0
