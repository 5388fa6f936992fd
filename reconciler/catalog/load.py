"""Load a catalog directory: files -> documents -> schema check -> typed entries.

Problems are collected into ``Catalog.diagnostics``; only a missing catalog directory raises.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from reconciler.catalog import spec
from reconciler.catalog.schema import dotted, schema_diagnostics
from reconciler.catalog.slug import derive_slug
from reconciler.catalog.yamlio import Document, load_text, read_text
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.errors import CatalogError
from reconciler.gcpause import gc_paused

T = TypeVar("T")
CredentialSpec = (
    spec.ApiKeyCredential
    | spec.BedrockCredential
    | spec.HuggingFaceCredential
    | spec.OpenAICompatibleCredential
)
_DOCUMENT = TypeAdapter[Any](spec.CatalogDocument)
# the one YAML problem that loses no names: the first of the duplicate keys is kept
_LOSSLESS = frozenset({"duplicate-key"})


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A typed catalog object and the document it came from (for positions)."""

    spec: T
    doc: Document


@dataclass
class Catalog:
    root: Path
    credentials: list[Entry[CredentialSpec]] = field(default_factory=list)
    models: list[Entry[spec.ModelSpec]] = field(default_factory=list)
    settings: list[Entry[spec.SettingsSpec]] = field(default_factory=list)
    sops_files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    digest: str = ""
    # names and slugs of documents that failed the schema, so rules do not cascade on them
    broken_names: set[str] = field(default_factory=set)
    # a file could not be read or parsed at all: names it defines are unknown, so rules do not
    # report references as unknown (the file's own diagnostic comes first)
    incomplete: bool = False


def model_slug(model: spec.ModelSpec) -> str:
    return model.slug or derive_slug(model.display_name)


def _catalog_entries(root: Path) -> list[tuple[str, str]]:
    """(path relative to root in posix form, path to open) of every catalog file, sorted by
    relative path; plain strings, as pathlib costs more than parsing a small file."""
    top = str(root)
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel_dir = dirpath[len(top) :].lstrip(os.sep).replace(os.sep, "/")
        prefix = rel_dir + "/" if rel_dir else ""
        found.extend(
            (prefix + name, os.path.join(dirpath, name))
            for name in filenames
            if name.endswith((".yaml", ".yml")) and not name.startswith(".")
        )
    found.sort()
    return found


def catalog_files(root: Path) -> list[Path]:
    """Every *.yaml / *.yml below root in sorted path order; hidden files and folders (such as
    .sops.yaml, sops's own configuration) are not catalog files."""
    return [Path(full) for _, full in _catalog_entries(root)]


def _data_path(data: Any, loc: tuple[int | str, ...]) -> list[str | int]:
    """The path into the document of a pydantic error location. Pydantic puts the tag of each
    union it passes through into ``loc`` ('Model', 'bedrock', 'Reasoning'); those name no key,
    and kept in they would stop ``Document.locate`` at the top of the document."""
    path: list[str | int] = []
    node = data
    for part in loc:
        is_key = isinstance(node, dict) and part in node
        is_index = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (is_key or is_index):
            continue  # a union tag
        node = node[part]
        path.append(part)
    return path


def _pydantic_message(item: Any) -> str:
    """Pydantic's message in the words the schema diagnostics use."""
    if item["type"] == "missing":
        return f"'{item['loc'][-1]}' is required"
    if item["type"] == "string_pattern_mismatch":
        pattern = item.get("ctx", {}).get("pattern")
        return spec.PATTERN_HELP.get(pattern, "does not have the expected format")
    msg = str(item["msg"])
    for prefix in ("Input should", "String should"):
        if msg.startswith(prefix):
            return "must" + msg[len(prefix) :]
    return msg[:1].lower() + msg[1:]


def _pydantic_diagnostics(doc: Document, err: ValidationError) -> list[Diagnostic]:
    """Located diagnostics for what pydantic rejects after the schema passed (a backstop: the
    schema normally reports these first, with the same words)."""
    out = []
    for item in err.errors(include_input=False, include_url=False):
        path = _data_path(doc.data, item["loc"])
        line, col = doc.locate(path)
        where = dotted(path)
        message = _pydantic_message(item)
        out.append(
            Diagnostic(
                doc.path, line, col, "invalid-value", f"{where}: {message}" if where else message
            )
        )
    return out


def _mark_broken(catalog: Catalog, doc: Document) -> None:
    """Remember what a rejected document would have defined, so references to it are not
    reported a second time as unknown."""
    if not isinstance(doc.data, dict):
        return
    for key in ("name", "slug"):
        if isinstance(doc.data.get(key), str):
            catalog.broken_names.add(doc.data[key])
    if isinstance(doc.data.get("display_name"), str):
        catalog.broken_names.add(derive_slug(doc.data["display_name"]))


def _add(catalog: Catalog, doc: Document) -> None:
    if not isinstance(doc.data, dict):
        line, col = doc.locate([])
        what = "empty" if doc.data is None else "not a mapping"
        catalog.diagnostics.append(
            Diagnostic(
                doc.path,
                line,
                col,
                "not-a-mapping",
                f"document {doc.index + 1} is {what}; each document is a mapping with "
                "a 'kind' (Model, ProviderCredential or Settings)",
            )
        )
        return
    problems = schema_diagnostics(doc)
    if problems:
        catalog.diagnostics.extend(problems)
        _mark_broken(catalog, doc)
        return
    try:
        obj = _DOCUMENT.validate_python(doc.data)
    except ValidationError as err:
        catalog.diagnostics.extend(_pydantic_diagnostics(doc, err))
        return
    if isinstance(obj, spec.ModelSpec):
        catalog.models.append(Entry(obj, doc))
    elif isinstance(obj, spec.SettingsSpec):
        catalog.settings.append(Entry(obj, doc))
    else:
        catalog.credentials.append(Entry(obj, doc))


def load_catalog(root: str | os.PathLike[str]) -> Catalog:
    """Read and schema-check every catalog file; semantic rules run separately."""
    base = Path(root)
    if not base.is_dir():
        raise CatalogError(
            f"catalog directory not found: {base}",
            hint="pass --catalog DIR, or run from the folder that holds catalog/",
        )
    # Documents keep their node trees (for positions): many long-lived objects, no cycles.
    with gc_paused():
        return _load(base)


def _load(base: Path) -> Catalog:
    catalog = Catalog(root=base)
    digest = hashlib.sha256()
    top = base.as_posix()
    entries = _catalog_entries(base)
    for rel, path in entries:
        display = rel if top == "." else top.rstrip("/") + "/" + rel
        text, problem = read_text(path, display)
        if problem is not None or text is None:
            if problem is not None:
                catalog.diagnostics.append(problem)
            catalog.incomplete = True
            continue
        digest.update(rel.encode() + b"\0")
        digest.update(text.encode("utf-8") + b"\0")
        loaded = load_text(text, display)
        catalog.diagnostics.extend(loaded.diagnostics)
        if loaded.is_sops:
            catalog.sops_files.append(rel)
            continue
        if not loaded.documents and not loaded.diagnostics:
            catalog.diagnostics.append(
                Diagnostic(
                    display,
                    1,
                    1,
                    "empty-file",
                    "file holds no YAML documents; add a document or delete the file",
                )
            )
        if loaded.diagnostics:
            # a file with YAML problems contributes no objects, only the names it would define
            for doc in loaded.documents:
                _mark_broken(catalog, doc)
            if any(d.code not in _LOSSLESS for d in loaded.diagnostics):
                catalog.incomplete = True
            continue
        for doc in loaded.documents:
            _add(catalog, doc)
    if len(entries) == len(catalog.sops_files):
        catalog.diagnostics.append(_nothing_found(top))
    catalog.digest = digest.hexdigest()
    return catalog


def _nothing_found(top: str) -> Diagnostic:
    """A warning, not an error (an empty catalog is a valid state), but never silent: a
    mistyped --catalog path in CI would otherwise pass as 'valid: 0 models'."""
    folder = "./" if top == "." else top.rstrip("/") + "/"
    return Diagnostic(
        folder,
        0,
        0,
        "no-catalog-files",
        f"no catalog files (*.yaml or *.yml) found in {folder}; check the --catalog path",
        Severity.WARNING,
    )
