"""The words of ``reconciler validate`` after its diagnostics (which catalog is valid, and
what it holds) and of ``reconciler schema``."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import OutputError
from reconciler.words import plural


def valid_line(catalog_dir: str, environment: str, models: int, credentials: int) -> str:
    """``catalog/ is valid: 3 models, 1 credential`` (``environment prod is valid: ...``)."""
    what = f"environment {environment}" if environment else _folder(catalog_dir)
    return f"{what} is valid: {plural(models, 'model')}, {plural(credentials, 'credential')}\n"


def _folder(catalog_dir: str) -> str:
    """The directory as typed, marked as one: ``catalog/``, ``./``, ``/srv/catalog/``."""
    return catalog_dir if catalog_dir.endswith(("/", "\\")) else f"{catalog_dir}/"


def schemas_out_not_a_directory(out_dir: str, kind: str) -> OutputError:
    """schema --out names something that is not a directory (/dev/null, a file)."""
    return OutputError(
        f"--out {out_dir} is {kind}, not a directory: schema writes its files into a directory; "
        "nothing was written",
        hint="name a directory (made when missing), e.g. --out schemas",
    )


def schemas_written(count: int, root: Path, document_file: str) -> str:
    return (
        f"wrote {count} schema files to {root}/ ({document_file} for any "
        "document, one per kind, and overlay-* for environment overlays)\n"
    )
