"""Export's file handling: refusing to mix catalogs, and writing only inside the target."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import CatalogError
from reconciler.files import write_all
from reconciler.words import plural


def existing_yaml(root: Path) -> list[Path]:
    """The YAML files a catalog in ``root`` would load (hidden files and folders are skipped)."""
    if not root.is_dir():
        return []
    return [
        path
        for path in root.rglob("*")
        if path.suffix in (".yaml", ".yml")
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]


def refuse_mixing(root: Path, out_dir: str) -> None:
    """Refuse a directory that already holds YAML files."""
    existing = existing_yaml(root)
    if existing:
        # Overwriting would mix two catalogs: files of rows under other names stay and
        # duplicate the slugs this export writes.
        raise CatalogError(
            f"{out_dir} already holds {plural(len(existing), 'YAML file')}; export writes a whole "
            "catalog and would mix it with them",
            hint="export into an empty directory, or pass --force to overwrite files there",
        )


def _inside(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    return resolved != root and resolved.is_relative_to(root)


def write_files(root: Path, out_dir: str, files: Mapping[Path, str | bytes]) -> None:
    """Write every file, after checking that each one lands inside ``root`` (file names are
    safe, but a symbolic link already in the directory could point elsewhere)."""
    try:
        top = root.resolve()
        outside = [path for path in files if not _inside(path, top)]
    except (OSError, RuntimeError) as err:  # RuntimeError: a symbolic link loop
        raise CatalogError(
            f"cannot export into {out_dir}: {err}",
            hint="export into an empty directory",
        ) from None
    if outside:
        raise CatalogError(
            f"export would write {outside[0]} outside {out_dir} (through a symbolic link); "
            "nothing was written",
            hint="export into an empty directory without symbolic links",
        )
    write_all(files, hint=_EXPORT_HINT)


_EXPORT_HINT = "pass --out a directory you can write to (or a path where one can be made)"
