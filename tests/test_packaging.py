"""Every Python package under reconciler/ is shipped by the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
