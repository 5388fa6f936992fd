"""Environments: ``catalog/environments/<name>/`` holds an overlay of the base catalog.

An overlay document's identity (a Model's slug, explicit or derived from its display name; a
credential's name; the one Settings) decides what it does: it patches the base object it
names, or adds a new, complete object. The merged catalog is then checked with every rule;
each diagnostic points at the file that supplied the value, and names the environment.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.catalog import rules, spec
from reconciler.catalog.load import (
    _DOCUMENT,
    ENVIRONMENTS_DIR,
    KINDS,
    Catalog,
    Entry,
    Read,
    _add,
    _data_path,
    _mark_broken,
    catalog_path,
    load_catalog,
    outside,
    read_files,
    shown_path,
)
from reconciler.catalog.slug import derive_slug
from reconciler.catalog.yamlio import Document, Pointer
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.errors import CatalogError
from reconciler.words import did_you_mean

BASE = "base"  # how the base catalog is named where an environment could be (compare)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
# secret references are replaced whole: a patch never leaves two sources in one reference
_WHOLE = frozenset(spec.SECRET_FIELDS)


@dataclass
class MergedDocument(Document):
    """A base document patched by an overlay document. ``path``, ``index`` and ``source`` are
    the overlay's; a value the overlay did not supply is located in the base document."""

    base: Document | None = None
    patch: Any = None

    def _from_overlay(self, where: Sequence[str | int]) -> bool:
        node = self.patch
        for part in where:
            if not isinstance(node, dict):
                return True  # the overlay replaced this value whole
            if part not in node:
                return False
            node = node[part]
        return True

    def locate(self, where: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        if self.base is None or self._from_overlay(where):
            return super().locate(where, key=key)
        return self.base.locate(where, key=key)

    def origin(self, where: Sequence[str | int]) -> str:
        if self.base is None or self._from_overlay(where):
            return self.path
        return self.base.path

    def pointer(self, where: tuple[str | int, ...]) -> Pointer:
        if self.base is None or self._from_overlay(where):
            return super().pointer(where)
        return self.base.pointer(where)


def merge(base: Any, patch: Any, *, whole: frozenset[str] = frozenset()) -> Any:
    """``patch`` over ``base``: maps merge recursively, everything else replaces, ``None``
    removes the key; keys in ``whole`` (top level only) are replaced, never merged."""
    if not (isinstance(base, dict) and isinstance(patch, dict)):
        return patch
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif key in whole or key not in out:
            out[key] = value
        else:
            out[key] = merge(out[key], value)
    return out


def identity(data: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, name) an overlay document names, or None when it names nothing."""
    kind = data.get("kind")
    if kind == "Settings":
        return ("Settings", "")
    if kind == "ProviderCredential":
        name = data.get("name")
        return (kind, name) if isinstance(name, str) and name else None
    if kind == "Model":
        slug = data.get("slug")
        if isinstance(slug, str) and slug:
            return (kind, slug)
        display = data.get("display_name")
        if isinstance(display, str) and derive_slug(display):
            return (kind, derive_slug(display))
    return None


def _base_objects(
    catalog: Catalog,
) -> tuple[dict[tuple[str, str], Entry[Any]], set[tuple[str, str]]]:
    """The base objects by identity, and the identities two base objects share (the base
    reports those as duplicates)."""
    found: dict[tuple[str, str], Entry[Any]] = {}
    shared: set[tuple[str, str]] = set()
    entries: list[Entry[Any]] = [
        *catalog.models,
        *catalog.credentials,
        *catalog.settings,
        *catalog.repaired,
    ]
    for entry in entries:
        key = identity(entry.doc.data)
        if key is None:
            continue
        if key in found:
            shared.add(key)
        found.setdefault(key, entry)
    return found, shared


@dataclass
class Environments:
    """The environments a catalog defines, and the problems with its environments/ folder."""

    names: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _display(root: Path, *parts: str) -> str:
    return shown_path(catalog_path(root, "/".join(parts)))


def find_environments(root: str | os.PathLike[str]) -> Environments:
    """The names under ``<root>/environments/`` (sorted); bad folders are diagnostics."""
    base = Path(root)
    found = Environments()
    folder = base / ENVIRONMENTS_DIR
    if not folder.exists():
        return found
    if not folder.is_dir():
        found.diagnostics.append(
            Diagnostic(
                _display(base, ENVIRONMENTS_DIR),
                0,
                0,
                "environment-not-a-folder",
                f"{ENVIRONMENTS_DIR} is not a directory; it holds one folder per environment "
                "(environments/staging/, environments/production/); move the file away",
            )
        )
        return found
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        shown = _display(base, ENVIRONMENTS_DIR, entry.name)
        if not entry.is_dir():
            found.diagnostics.append(
                Diagnostic(
                    shown,
                    0,
                    0,
                    "environment-not-a-folder",
                    "an environment is a folder of overlay files, not a file; move this file "
                    f"into a folder such as {ENVIRONMENTS_DIR}/staging/",
                )
            )
        elif not _NAME.fullmatch(entry.name):
            found.diagnostics.append(
                Diagnostic(
                    shown + "/",
                    0,
                    0,
                    "environment-name",
                    "an environment name uses letters, digits, '-' and '_' (at most 63, "
                    "starting with a letter or digit); rename the folder",
                )
            )
        else:
            found.names.append(entry.name)
    return found


def require_environment(root: str | os.PathLike[str], name: str) -> None:
    """Refuse a name that is not one of the catalog's environments, listing those that are."""
    names = find_environments(root).names
    if name in names:
        return
    known = ", ".join(names) if names else "none"
    raise CatalogError(
        f"unknown environment '{name}'; the catalog's environments: {known}"
        + did_you_mean(name, names),
        hint=f"environments are the folders of {Path(root).as_posix()}/{ENVIRONMENTS_DIR}/",
    )


def require_known_environment(root: str | os.PathLike[str], name: str | None) -> None:
    """For commands that read only the registry (models, export): refuse a name that is not
    one of the catalog's environments when there is a catalog to ask; without one, only the
    registry's binding can refuse it."""
    if name is not None and Path(root).is_dir():
        require_environment(root, name)


@dataclass
class _Overlay:
    # the documents, and how much of each can be used (as in the base catalog)
    docs: list[tuple[Document, Read]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    digest: str = ""
    incomplete: bool = False
    # SOPS files kept beside the overlay (secret files, not overlay documents)
    sops_files: list[str] = field(default_factory=list)


def _read_overlay(root: Path, name: str) -> _Overlay:
    """The overlay's documents. Its files are read as the base catalog's are."""
    overlay = _Overlay()
    folder = root / ENVIRONMENTS_DIR / name
    if outside(os.path.realpath(root), str(folder)):
        overlay.diagnostics.append(
            Diagnostic(
                _display(root, ENVIRONMENTS_DIR, name) + "/",
                0,
                0,
                "symlink-escapes",
                "this environment folder is a symlink to a folder outside the catalog "
                "directory, which is not read; keep the overlay inside the catalog: move the "
                "folder in, or remove the link",
            )
        )
        overlay.incomplete = True
        return overlay

    def take(doc: Document, read: Read) -> None:
        overlay.docs.append((doc, read))

    files = read_files(root, f"{ENVIRONMENTS_DIR}/{name}/", overlay.diagnostics, take)
    overlay.digest = files.digest
    overlay.incomplete = files.incomplete
    overlay.sops_files = files.sops_files
    if not overlay.docs and not overlay.diagnostics:
        overlay.diagnostics.append(
            Diagnostic(
                _display(root, ENVIRONMENTS_DIR, name) + "/",
                0,
                0,
                "empty-environment",
                f"environment '{name}' has no overlay documents, so it is the base catalog "
                "unchanged; add an overlay file or remove the folder",
                Severity.WARNING,
            )
        )
    return overlay


def _at(doc: Document, where: Sequence[str | int], code: str, message: str) -> Diagnostic:
    line, col = doc.locate(where, key=bool(where))
    return Diagnostic(doc.path, line, col, code, message)


def _missing(data: dict[str, Any]) -> list[str]:
    """The required fields a new object lacks (empty when it is complete enough to check)."""
    try:
        _DOCUMENT.validate_python(data)
    except ValidationError as err:
        # a field missing deeper down (another form of a secret reference the document
        # writes in one form) is the schema's to report, in its words
        return [
            str(item["loc"][-1])
            for item in err.errors(include_input=False, include_url=False)
            if item["type"] == "missing" and not _data_path(data, item["loc"][:-1])
        ]
    return []


def _similar(key: tuple[str, str], known: dict[tuple[str, str], Entry[Any]]) -> str:
    names = sorted(name for kind, name in known if kind == key[0])
    close = difflib.get_close_matches(key[1], names, n=3, cutoff=0.5)
    if close:
        return "; base objects with similar names: " + ", ".join(close)
    if names:
        return "; the base defines: " + ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return ""


def _unpatched(catalog: Catalog, patched: set[int]) -> Iterator[tuple[str, Entry[Any]]]:
    for bucket in ("models", "credentials", "settings", "repaired"):
        for entry in getattr(catalog, bucket):
            if id(entry.doc) not in patched:
                yield bucket, entry


def _patched_doc(base: Entry[Any], doc: Document) -> MergedDocument:
    whole = _WHOLE if doc.data.get("kind") == "ProviderCredential" else frozenset()
    return MergedDocument(
        path=doc.path,
        index=doc.index,
        data=merge(base.doc.data, doc.data, whole=whole),
        source=doc.source,
        has_nul=doc.has_nul or base.doc.has_nul,
        base=base.doc,
        patch=doc.data,
    )


def _apply_overlay(base: Catalog, overlay: _Overlay, merged: Catalog) -> set[int]:
    """File each overlay document into ``merged``: patched, new, or a diagnostic. Returns
    the ids of the base documents patched (whatever became of the patch)."""
    known, shared = _base_objects(base)
    seen: dict[tuple[str, str], Document] = {}
    patches: list[tuple[Entry[Any], Document, bool]] = []
    for doc, read in overlay.docs:
        if read is Read.LOST:
            _mark_broken(merged, doc)  # as the base does: the file's YAML error comes first
            continue
        partial = read is Read.PARTIAL  # a duplicate key: checked, for the rules only
        data = doc.data
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            # the base loader's words for a document without a kind
            _add(merged, doc, partial=partial)
            continue
        key = identity(data)
        if key is None:
            merged.diagnostics.append(_no_identity(doc))
            _mark_broken(merged, doc)  # a name it has (name: 123) is not unknown elsewhere
            continue
        if key in seen:
            first = seen[key]
            line, _ = first.locate([])
            merged.diagnostics.append(
                _at(
                    doc,
                    [],
                    "overlay-duplicate",
                    f"{_named(key)} is already patched in this environment at "
                    f"{first.path}:{line}; put both changes in one document",
                )
            )
            continue
        seen[key] = doc
        if key in shared or key in base.broken_objects:
            # the base object failed validation (a duplicate, an invalid document): which
            # object the patch applies to is unclear, and whatever it reported here would
            # follow from the base's error, which the base run reports and is the one to fix
            continue
        if key in known:
            patches.append((known[key], doc, partial))
            continue
        missing = _missing(data)
        if missing and base.incomplete:
            # a base file that could not be read may define it: the file's error comes first
            _mark_broken(merged, doc)
            continue
        if missing:
            fields = ", ".join(f"'{m}'" for m in missing)
            merged.diagnostics.append(
                _at(
                    doc,
                    [],
                    "overlay-unknown-object",
                    f"{_named(key)} names no object of the base catalog, and as a new object "
                    f"it lacks {fields}{_similar(key, known)}",
                )
            )
            _mark_broken(merged, doc)
            continue
        _add(merged, doc, partial=partial)
    for entry, doc, partial in patches:
        _patch(merged, entry, doc, partial=partial)
    return {id(entry.doc) for entry, _, _ in patches}


def _no_identity(doc: Document) -> Diagnostic:
    kind = doc.data["kind"]
    fields = ("slug", "display_name") if kind == "Model" else ("name",)
    what = " or ".join(fields)
    wrong = next((f for f in fields if f in doc.data and not isinstance(doc.data[f], str)), None)
    if wrong is not None:  # name: 7, in the base's words
        line, col = doc.locate([wrong])
        scalar = isinstance(doc.data[wrong], int | float)  # bool is an int
        return Diagnostic(
            doc.path,
            line,
            col,
            "wrong-type",
            f"{wrong}: must be a string; an overlay {kind} names the object it patches or adds "
            f"by its {what}" + ("; quote it" if scalar else ""),
        )
    return _at(
        doc,
        [],
        "overlay-no-identity",
        f"an overlay {kind} names the object it patches or adds by its {what}; add it",
    )


def _named(key: tuple[str, str]) -> str:
    kind, name = key
    return "the Settings" if kind == "Settings" else f"{kind} '{name}'"


def _patch(merged: Catalog, entry: Entry[Any], doc: Document, *, partial: bool) -> None:
    merged_doc = _patched_doc(entry, doc)
    kind, name = identity(entry.doc.data) or ("", "")
    after = identity(merged_doc.data)
    # a credential's provider decides what it is (its fields); changing it is a new object
    provider = doc.data.get("provider", entry.doc.data.get("provider"))
    if after != (kind, name) or (
        kind == "ProviderCredential" and provider != entry.doc.data.get("provider")
    ):
        where = next((k for k in ("slug", "display_name", "provider") if k in doc.data), "kind")
        merged.diagnostics.append(
            _at(
                doc,
                [where],
                "overlay-changes-identity",
                f"this patch changes what {_named((kind, name))} is ({where}); an overlay "
                "patches an object, it cannot rename it or change its provider: define a new "
                "object under another name instead",
            )
        )
        _mark_broken(merged, merged_doc)
        return
    # the base object's own problems, in the keys the patch leaves alone, are the base's: they
    # are reported once, under the base (a missing field would be placed at the patch)
    inherited = frozenset(k for k in entry.dropped if k not in doc.data)
    _add(merged, merged_doc, partial=partial, inherited=inherited)


def load_environment(root: str | os.PathLike[str], name: str) -> Catalog:
    """The environment's catalog: the base with the overlay merged in, checked with every
    rule; every diagnostic names the environment."""
    require_environment(root, name)
    base = load_catalog(root)
    overlay = _read_overlay(Path(root), name)
    merged = Catalog(
        root=base.root,
        sops_files=[*base.sops_files, *overlay.sops_files],
        broken_kinds=set(base.broken_kinds),
        broken_objects=set(base.broken_objects),
        broken_names=dict(base.broken_names),
        incomplete=base.incomplete or overlay.incomplete,
        environment=name,
    )
    # base problems are problems of every environment; rules run again on the merged objects
    merged.diagnostics.extend(d for d in base.diagnostics)
    merged.diagnostics.extend(overlay.diagnostics)
    patched = _apply_overlay(base, overlay, merged)
    for bucket, entry in _unpatched(base, patched):
        getattr(merged, bucket).append(entry)
    merged.diagnostics.extend(rules.check(merged))
    merged.digest = hashlib.sha256(f"{base.digest}\0{name}\0{overlay.digest}".encode()).hexdigest()
    merged.diagnostics = [dataclasses.replace(d, environment=name) for d in merged.diagnostics]
    return merged
