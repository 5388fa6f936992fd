"""Export's naming policy: which names a catalog accepts, and a safe, distinct file name for
each row (names come from the application and may hold anything)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconciler.catalog.spec import NAME_PATTERN, SLUG_PATTERN, TEXT_MAX

_SLUG_RE = re.compile(SLUG_PATTERN)
_NAME_RE = re.compile(NAME_PATTERN)
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_STEM_MAX = 200  # file names are at most 255 bytes; leaves room for "-<id>" and ".yaml"


def valid_slug(slug: str) -> bool:
    return len(slug) <= TEXT_MAX and _SLUG_RE.fullmatch(slug) is not None


def valid_name(name: str) -> bool:
    return _NAME_RE.fullmatch(name) is not None


def quoted(name: str) -> str:
    """A name as messages and YAML comments show it: quoted, control characters and line
    breaks escaped (a line break in a comment would turn the rest into YAML)."""
    return repr(name)


def safe_stem(name: str) -> str:
    """A file name (without .yaml) for ``name``: only [A-Za-z0-9._-], no leading dot, no path
    separator, never empty or '.'/'..'; "" when nothing of ``name`` is left."""
    stem = _UNSAFE_RUN.sub("-", name).strip("._-")
    return stem[:_STEM_MAX].rstrip("._-")


def file_stems(rows: Iterable[tuple[str, int, bool]], kind: str) -> dict[str, str]:
    """A distinct file name for each ``(name, row id, valid)``, by name. Valid names that are
    already safe keep their own name; others get a safe form, with "-<row id>" appended when
    another row took it (compared case-insensitively, as some file systems do)."""
    order = sorted(rows, key=lambda r: (not r[2], safe_stem(r[0]) != r[0], r[0]))
    taken: set[str] = set()
    stems: dict[str, str] = {}
    for name, row_id, _ in order:
        base = safe_stem(name) or kind
        stem = base
        n = 1
        while stem.casefold() in taken:
            stem = f"{base}-{row_id}" if n == 1 else f"{base}-{row_id}-{n}"
            n += 1
        taken.add(stem.casefold())
        stems[name] = stem
    return stems


def env_name(credential: str, field: str) -> str:
    name = re.sub(r"[^A-Z0-9]+", "_", f"{credential}_{field}".upper()).strip("_")
    return f"_{name}" if name[:1].isdigit() else name  # variable names cannot start with a digit
