"""Load a catalog directory: files -> documents -> schema check -> typed entries.

Problems are collected into ``Catalog.diagnostics``; only a missing catalog directory raises.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Generic, TypeVar, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from reconciler.catalog import spec
from reconciler.catalog.content import content_problems
from reconciler.catalog.schema import dotted, pattern_message, schema_problems
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
KINDS = ("Model", "ProviderCredential", "Settings")
# the folder of the catalog root that holds one overlay folder per environment
ENVIRONMENTS_DIR = "environments"
# the one YAML problem that loses no names: the first of the duplicate keys is kept
_LOSSLESS = frozenset({"duplicate-key"})


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A typed catalog object and the document it came from (for positions)."""

    spec: T
    doc: Document
    # top-level keys left out because their values are invalid or missing (a repaired entry);
    # a required one holds a stand-in (``PLACEHOLDERS``) that rules must not read
    dropped: frozenset[str] = frozenset()


@dataclass
class Catalog:
    root: Path
    credentials: list[Entry[CredentialSpec]] = field(default_factory=list)
    models: list[Entry[spec.ModelSpec]] = field(default_factory=list)
    settings: list[Entry[spec.SettingsSpec]] = field(default_factory=list)
    sops_files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    digest: str = ""
    # kinds of the documents that failed the schema and could not be repaired
    broken_kinds: set[str] = field(default_factory=set)
    # (kind, name or slug) of those documents, so that references to them, and an overlay's
    # patches of them, are not reported again: the document's own error is the one to fix
    broken_objects: set[tuple[str, str]] = field(default_factory=set)
    # the first document that failed with a given (kind, name or slug) as written: a reference
    # that is unknown but close to one of them is told where that document is
    broken_names: dict[tuple[str, str], Document] = field(default_factory=dict)
    # documents that have problems but whose identity is intact, checked without the invalid
    # top-level values: the semantic rules see them (so one problem does not hide another),
    # nothing else does
    repaired: list[Entry[Any]] = field(default_factory=list)
    # a file could not be read or parsed at all: names it defines are unknown, so rules do not
    # report references as unknown (the file's own diagnostic comes first)
    incomplete: bool = False
    # the environment whose merged catalog this is ('' the base): later checks (lint) name it
    environment: str = ""


def model_slug(model: spec.ModelSpec) -> str:
    return model.slug or derive_slug(model.display_name)


def _catalog_entries(root: Path) -> list[tuple[str, str]]:
    """(path relative to root in posix form, path to open) of every catalog file, sorted by
    relative path; plain strings, as pathlib costs more than parsing a small file."""
    top = str(root)
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        # environments/ holds the overlays, read per environment (catalog/environments.py)
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(".") and not (dirpath == top and d == ENVIRONMENTS_DIR)
        ]
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


def _value_at(data: Any, path: list[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def _pydantic_message(item: Any, value: Any, path: list[str | int]) -> str:
    """Pydantic's message in the words the schema diagnostics use."""
    if item["type"] == "missing":
        return f"'{item['loc'][-1]}' is required"
    if item["type"] == "string_pattern_mismatch":
        return pattern_message(item.get("ctx", {}).get("pattern"), value, path)
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
        message = _pydantic_message(item, _value_at(doc.data, path), path)
        out.append(
            Diagnostic(
                doc.origin(path),
                line,
                col,
                "invalid-value",
                f"{where}: {message}" if where else message,
            )
        )
    return out


def _readable(doc: Document, key: str) -> str | None:
    """The document's top-level ``key`` as a reference would name it: a string, or a number or
    boolean as written (``name: 123`` is referred to as ``"123"``)."""
    value = doc.data.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):  # bool is an int
        return doc.pointer((key,)).text()
    return None


def _mark_broken(catalog: Catalog, doc: Document) -> None:
    """Remember what a rejected document would have defined, so references to it are not
    reported a second time as unknown."""
    if not isinstance(doc.data, dict):
        return
    kind = doc.data.get("kind")
    # a document whose kind is missing or unknown may have been meant as any kind
    kinds = [kind] if kind in KINDS else list(KINDS)
    names = [n for n in (_readable(doc, "name"), _readable(doc, "slug")) if n is not None]
    written = list(names)
    display = _readable(doc, "display_name")
    if display is not None:
        names.append(derive_slug(display))
    for one in kinds:
        catalog.broken_kinds.add(one)
        named = [""] if one == "Settings" or not names else names
        catalog.broken_objects.update((one, n) for n in named)
        if one != "Settings" and kind == one:  # not one a misspelled kind may have meant
            for n in written:
                catalog.broken_names.setdefault((one, n), doc)


# Keys that say which object a document is: without a valid one it cannot be checked further.
_IDENTITY = frozenset({"kind", "name", "slug", "provider"})
# Stand-ins for the required fields a repaired document lacks (missing, or left out because
# invalid), so that the rest of it can still be typed and checked. A stand-in is never looked
# at: the field is in ``Entry.dropped``, and the rules skip what depends on a dropped field.
# Each must be valid for its field (a test holds them so, and covers every required field).
PLACEHOLDERS: dict[str, Any] = {
    "display_name": "placeholder",
    "deployment": "custom",
    "model_id": "placeholder",
    "context_window": 1,
    "api_key": {"env": "PLACEHOLDER"},
    "region": "us-east-1",
    "endpoint_url": "https://placeholder.invalid",
    "base_url": "https://placeholder.invalid",
}


_CREDENTIAL_CLASSES: dict[str, type[BaseModel]] = {
    provider: cls
    for cls in get_args(CredentialSpec)
    for provider in get_args(cls.model_fields["provider"].annotation)
}


def spec_class(data: dict[str, Any]) -> type[BaseModel] | None:
    """The spec class of a document whose kind (and, for a credential, provider) is valid."""
    kind, provider = data.get("kind"), data.get("provider")
    if kind == "Model":
        return spec.ModelSpec
    if kind == "Settings":
        return spec.SettingsSpec
    if kind == "ProviderCredential" and isinstance(provider, str):
        return _CREDENTIAL_CLASSES.get(provider)
    return None


def _repair(doc: Document, keys: set[str | None]) -> Entry[Any] | None:
    """The document without the top-level values that have problems, and with stand-ins for
    the required ones among them, when its identity is intact; otherwise None."""
    if None in keys or keys & _IDENTITY:
        return None
    dropped = {k for k in keys if k is not None}
    data = {k: v for k, v in doc.data.items() if k not in dropped}
    cls = spec_class(data)
    if cls is None:
        return None
    if cls is spec.ModelSpec and "slug" not in data and "display_name" not in data:
        return None  # the model's slug is derived from the display_name that is invalid
    for name, info in cls.model_fields.items():
        if info.is_required() and name not in data:
            if name not in PLACEHOLDERS:
                return None
            data[name] = PLACEHOLDERS[name]
            dropped.add(name)
    try:
        obj = _DOCUMENT.validate_python(data)
    except ValidationError:
        return None  # a combination of fields that the schema does not catch alone
    return Entry(obj, doc, frozenset(dropped))


def _add(
    catalog: Catalog,
    doc: Document,
    *,
    partial: bool = False,
    inherited: frozenset[str] = frozenset(),
) -> None:
    """Check one document and file its object: complete objects in the catalog, documents
    with problems (or from a file with YAML problems, ``partial``) among the repaired.
    ``inherited``: top-level keys whose problems are another document's, already reported
    there (an overlay's patch of a repaired base object it leaves them as they were)."""
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
    problems = [*content_problems(doc), *schema_problems(doc)]
    if problems:
        catalog.diagnostics.extend(d for key, d in problems if key not in inherited)
        repaired = _repair(doc, {key for key, _ in problems})
        if repaired is None:
            _mark_broken(catalog, doc)
        else:
            catalog.repaired.append(repaired)
        return
    try:
        obj = _DOCUMENT.validate_python(doc.data)
    except ValidationError as err:
        catalog.diagnostics.extend(_pydantic_diagnostics(doc, err))
        _mark_broken(catalog, doc)
        return
    if partial:
        catalog.repaired.append(Entry(obj, doc))
    elif isinstance(obj, spec.ModelSpec):
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
            f"catalog directory not found: {shown_path(str(base))}",
            hint="pass --catalog DIR, or run from the folder that holds catalog/",
        )
    # Documents keep their node trees (for positions): many long-lived objects, no cycles.
    with gc_paused():
        return _load(base)


def shown_path(path: str) -> str:
    """A path as it can be printed: bytes that are not UTF-8 (which the OS hands over as
    surrogates) written as \\xNN escapes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _bad_name(rel: str, display: str) -> Diagnostic:
    try:
        os.fsencode(rel).decode("utf-8")
        byte = ""
    except UnicodeDecodeError as exc:
        byte = f" (byte 0x{exc.object[exc.start]:02x})"
    return Diagnostic(
        shown_path(display),
        0,
        0,
        "bad-file-name",
        f"the file name is not valid UTF-8{byte}, so the file was not read; rename it using "
        "UTF-8 (catalog paths appear in plans, the registry's audit and CI annotations)",
    )


def _escapes(real_root: str, path: str) -> bool:
    """Whether ``path`` is a symlink that leads outside the catalog root."""
    if not os.path.islink(path):
        return False
    return outside(real_root, path)


def outside(real_root: str, path: str) -> bool:
    """Whether ``path``, symlinks followed, is outside the catalog root."""
    target = os.path.realpath(path)
    return os.path.commonpath([real_root, target]) != real_root


def escapes_diagnostic(display: str) -> Diagnostic:
    return Diagnostic(
        display,
        0,
        0,
        "symlink-escapes",
        "this file is a symlink to a file outside the catalog directory, which is "
        "not read; keep catalog files inside the catalog: copy the file in, or "
        "remove the link",
    )


def empty_file(display: str) -> Diagnostic:
    return Diagnostic(
        display,
        1,
        1,
        "empty-file",
        "file holds no YAML documents; add a document or delete the file",
    )


def file_problem(rel: str, path: str, display: str, real_root: str) -> Diagnostic | None:
    """Why a catalog file is not opened at all: a name that is not UTF-8, or a symlink that
    leads out of the catalog (``real_root``). The base and every overlay check their files so."""
    if shown_path(rel) != rel:
        return _bad_name(rel, display)
    if _escapes(real_root, path):
        return escapes_diagnostic(shown_path(display))
    return None


class Read(Enum):
    """How much of a catalog file's documents can be used."""

    WHOLE = "whole"  # the file has no YAML problems
    # its YAML problems lost nothing (a duplicate key: the first is kept): its documents are
    # checked, for the rules only
    PARTIAL = "partial"
    # its YAML problems lost values: only the names its documents define are remembered
    LOST = "lost"


@dataclass
class Files:
    """What reading a folder of catalog files found besides diagnostics and documents."""

    count: int = 0  # catalog files found, read or not
    # SOPS files, by their path relative to the catalog root
    sops_files: list[str] = field(default_factory=list)
    digest: str = ""
    # a file could not be read or parsed at all: names it defines are unknown
    incomplete: bool = False


def catalog_path(root: Path, rel: str) -> str:
    """How diagnostics name the file ``rel`` of the catalog at ``root``."""
    top = root.as_posix()
    return rel if top == "." else top.rstrip("/") + "/" + rel


def read_files(
    root: Path,
    under: str,
    diagnostics: list[Diagnostic],
    take: Callable[[Document, Read], None],
) -> Files:
    """Read the catalog files of the folder ``under`` of the catalog ``root`` ('' the base
    itself, ``environments/<name>/`` an overlay), file by file: each file's problems into
    ``diagnostics``, then its documents to ``take``, so diagnostics keep file order. The base
    and every overlay read their files so: names that are not UTF-8, symlinks out of the
    catalog, FIFOs and devices, empty files, SOPS files, YAML problems."""
    found = Files()
    digest = hashlib.sha256()
    real_root = os.path.realpath(root.as_posix())
    entries = _catalog_entries(root / under if under else root)
    found.count = len(entries)
    prefix = catalog_path(root, under)
    for rel, path in entries:
        raw = prefix + rel
        skipped = file_problem(rel, path, raw, real_root)
        if skipped is not None:
            diagnostics.append(skipped)
            found.incomplete = True
            continue
        display = shown_path(raw)
        text, problem = read_text(path, display)
        if problem is not None or text is None:
            if problem is not None:
                diagnostics.append(problem)
            found.incomplete = True
            continue
        digest.update(rel.encode() + b"\0")
        digest.update(text.encode("utf-8") + b"\0")
        loaded = load_text(text, display)
        diagnostics.extend(loaded.diagnostics)
        if loaded.is_sops:  # a secret file a {sops: ...} reference may name
            found.sops_files.append(under + rel)
            continue
        if not loaded.documents and not loaded.diagnostics:
            diagnostics.append(empty_file(display))
        read = Read.WHOLE
        if loaded.diagnostics:
            lossless = all(d.code in _LOSSLESS for d in loaded.diagnostics)
            read = Read.PARTIAL if lossless else Read.LOST
            found.incomplete = found.incomplete or not lossless
        for doc in loaded.documents:
            take(doc, read)
    found.digest = digest.hexdigest()
    return found


def _load(base: Path) -> Catalog:
    catalog = Catalog(root=base)

    def take(doc: Document, read: Read) -> None:
        # a file with YAML problems contributes no objects; when the problems lost nothing
        # (a duplicate key), its documents are still checked, for the rules only
        if read is Read.LOST:
            _mark_broken(catalog, doc)
        else:
            _add(catalog, doc, partial=read is Read.PARTIAL)

    files = read_files(base, "", catalog.diagnostics, take)
    catalog.sops_files = files.sops_files
    catalog.incomplete = files.incomplete
    if files.count == len(files.sops_files):
        catalog.diagnostics.append(_nothing_found(catalog_folder(base)))
    catalog.digest = files.digest
    return catalog


def catalog_folder(root: Path) -> str:
    """How a diagnostic about the catalog as a whole names it: its directory, with a trailing
    '/' (renderers count such a path as no file)."""
    top = shown_path(root.as_posix())
    return "./" if top == "." else top.rstrip("/") + "/"


def _nothing_found(folder: str) -> Diagnostic:
    """A warning, not an error (an empty catalog is a valid state), but never silent: a
    mistyped --catalog path in CI would otherwise pass as 'valid: 0 models'."""
    return Diagnostic(
        folder,
        0,
        0,
        "no-catalog-files",
        f"no catalog files (*.yaml or *.yml) found in {folder}; check the --catalog path",
        Severity.WARNING,
    )
