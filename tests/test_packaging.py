"""Every Python package under reconciler/ is shipped by the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from source_tree import snapshot

REPO = Path(__file__).resolve().parent.parent


def _declared() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    packages: list[str] = config["tool"]["setuptools"]["packages"]
    return packages


def test_every_subpackage_is_listed_in_pyproject() -> None:
    found = sorted(
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "reconciler").rglob("__init__.py")
        if "__pycache__" not in init.parts
    )
    assert "reconciler.catalog" in found
    missing = [name for name in found if name not in _declared()]
    assert not missing, (
        f"packages missing from [tool.setuptools] packages in pyproject.toml: {missing}; "
        "the wheel would not contain them"
    )


def test_declared_packages_exist() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    dirs: dict[str, str] = config["tool"]["setuptools"].get("package-dir", {})
    for name in _declared():
        folder = REPO / dirs.get(name, name.replace(".", "/"))
        assert (folder / "__init__.py").is_file(), f"{name} is listed but {folder} is no package"


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[name.lower().replace("_", "-")] = version
    return pins


def _requirement_names(requirements: list[str]) -> list[str]:
    names = []
    for requirement in requirements:
        name = requirement.split(";")[0]
        for stop in "[<>=!~ ":
            name = name.split(stop)[0]
        names.append(name.lower().replace("_", "-"))
    return names


def test_every_dependency_is_pinned_in_constraints() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    own = project["name"]  # the extras [all] and [test] name this package's other extras
    unpinned = [n for n in _requirement_names(wanted) if n not in _pins() and n != own]
    assert not unpinned, f"refresh constraints.txt (README, Dependencies): {unpinned} unpinned"


def test_ci_and_readme_install_the_pinned_set() -> None:
    """.ci/run runs the README's test command, and every install takes constraints.txt."""
    readme = (REPO / "README.md").read_text("utf-8")
    ci_command = (REPO / ".ci" / "run").read_text("utf-8").strip().splitlines()[-1]
    assert ci_command in readme
    readme_installs = [
        line for line in readme.splitlines() if line.startswith("python3 -m venv .venv")
    ]
    assert len(readme_installs) == 2  # the quick start and the test command
    for line in [*readme_installs, ci_command]:
        assert "-c constraints.txt" in line, line


# --- the built package, installed the way a user installs it ---------------------------------

WHEEL_PROBE = """
import importlib.util
print("HEAVY=" + ",".join(m for m in ("litellm", "boto3") if importlib.util.find_spec(m)))
"""


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False, **kwargs)


@pytest.mark.slow
def test_sdist_and_wheel_install_the_core_that_runs(tmp_path: Path) -> None:
    """``python -m build`` makes the sdist and then the wheel from it (so the sdist is
    complete); the wheel, installed alone in a fresh venv, runs validate, db upgrade, apply
    and models without litellm or boto3, and lint names the extra to install."""
    dist = tmp_path / "dist"
    source = snapshot(tmp_path / "source")
    built = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)])
    assert built.returncode == 0, built.stdout + built.stderr
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    assert "LICENSE" in names
    assert "reconciler/cli.py" in names
    outside = ("tests/", "benchmarks/", "scripts/", "catalog/", ".venv/")
    stray = [n for n in names if n.startswith(outside)]
    assert not stray, f"the sdist holds files that are not the package: {stray}"

    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    installed = _run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "-q",
            "--no-compile",
            "-c",
            str(REPO / "constraints.txt"),
            str(wheel),
        ]
    )
    assert installed.returncode == 0, installed.stderr
    probe = _run([str(venv / "bin" / "python"), "-c", WHEEL_PROBE])
    assert probe.stdout.strip() == "HEAVY=", probe.stdout + probe.stderr  # the core install

    reconciler = str(venv / "bin" / "reconciler")
    work = tmp_path / "work"
    shutil.copytree(REPO / "catalog", work / "catalog")
    key = _run([reconciler, "keygen"]).stdout.strip()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "REGISTRY_ENCRYPTION_KEY": key,
        "REGISTRY_DATABASE_URL": f"sqlite:///{work / 'registry.db'}",
        "OPENROUTER_API_KEY": "test-openrouter-key-0001",
        "ANTHROPIC_API_KEY": "test-anthropic-key-0001",
        "OPENAI_API_KEY": "test-openai-key-00001",
    }
    for command in (["validate"], ["db", "upgrade"], ["apply", "--auto-approve"], ["models"]):
        result = _run([reconciler, *command], cwd=work, env=env)
        assert result.returncode == 0, (command, result.stdout + result.stderr)
        assert "Traceback" not in result.stderr
    assert "claude-sonnet-4" in result.stdout  # models lists what apply wrote

    lint = _run([reconciler, "lint"], cwd=work, env=env)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert "needs litellm, which the core install leaves out" in lint.stderr
    assert "pip install 'llm-registry-reconciler[litellm]'" in lint.stderr
    assert "Traceback" not in lint.stderr

    # a secret in AWS Secrets Manager needs the [aws] extra, and says so
    (work / "catalog" / "credentials" / "aws-held.yaml").write_text(
        "kind: ProviderCredential\nname: aws-held\nprovider: openai\n"
        "api_key: {aws_secretsmanager: {secret_id: prod/openai}}\n",
        encoding="utf-8",
    )
    plan = _run([reconciler, "plan", "--no-secrets"], cwd=work, env=env)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "pip install 'llm-registry-reconciler[aws]'" in plan.stderr
    assert "Traceback" not in plan.stderr
