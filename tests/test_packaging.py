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
