from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from reconciler.catalog.spec import NAME_PATTERN, PATTERN_HELP, SLUG_PATTERN, TEXT_MAX
from reconciler.db.engine import require_database
from reconciler.errors import CatalogError
from reconciler.plan.build import read_live_state
from reconciler.providers.table import PROVIDERS
from reconciler.state.live import LiveCredential, LiveModel
from reconciler.state.records import SettingsState
from reconciler.words import plural

_PLACEHOLDER_NOTE = (
    "# The registry does not record where {field} came from. Wire the secret: set the\n"
    "# environment variable below where apply runs, or replace it with a sops or\n"
    "# aws_secretsmanager reference. Secret values are never exported.\n"
)
_INVALID_NOTE = (
    "# NOT A VALID CATALOG NAME: {what}; validate rejects this file.\n"
    "# Before adopting, rename it in the application and export again, or delete this\n"
    "# file to leave the {kind} unmanaged and out of the catalog.\n"
)
_SLUG_RE = re.compile(SLUG_PATTERN)
_NAME_RE = re.compile(NAME_PATTERN)
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_STEM_MAX = 200  # file names are at most 255 bytes; leaves room for "-<id>" and ".yaml"


def valid_slug(slug: str) -> bool:
    return len(slug) <= TEXT_MAX and _SLUG_RE.fullmatch(slug) is not None


def valid_name(name: str) -> bool:
    return _NAME_RE.fullmatch(name) is not None


def _quoted(name: str) -> str:
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


def _env_name(credential: str, field: str) -> str:
    name = re.sub(r"[^A-Z0-9]+", "_", f"{credential}_{field}".upper()).strip("_")
    return f"_{name}" if name[:1].isdigit() else name  # variable names cannot start with a digit


def _dump(header: str, document: dict[str, Any]) -> str:
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def _secret_fields(cred: LiveCredential) -> list[str]:
    record = PROVIDERS.get(cred.state.provider)
    return list(cred.secrets) or list(record.export_secrets if record else ("api_key",))


def _placeholder_fields(cred: LiveCredential) -> list[str]:
    """Secret fields whose source the registry does not record: exported as env placeholders."""
    return [f for f in _secret_fields(cred) if (s := cred.secrets.get(f)) is None or not s.ref]


def credential_document(cred: LiveCredential, header: str = "") -> str:
    state = cred.state
    doc: dict[str, Any] = {"kind": "ProviderCredential", "name": state.name}
    if state.display_name:
        doc["display_name"] = state.display_name
    if state.description:
        doc["description"] = state.description
    doc["provider"] = state.provider
    doc.update(state.config)
    notes = [header]
    for field_name in _secret_fields(cred):
        secret = cred.secrets.get(field_name)
        if secret is not None and secret.ref:
            doc[field_name] = dict(secret.ref)
        else:
            doc[field_name] = {"env": _env_name(state.name, field_name)}
            notes.append(_PLACEHOLDER_NOTE.format(field=field_name))
    return _dump("".join(notes), doc)


def model_document(model: LiveModel, header: str = "") -> str:
    v = model.state.values
    doc: dict[str, Any] = {
        "kind": "Model",
        "display_name": v["display_name"],
        "slug": model.state.slug,
    }
    for key in (
        "deployment",
        "provider",
        "model_id",
        "credential",
        "category",
        "description",
        "release_date",
        "context_window",
        "max_output_tokens",
    ):
        if v.get(key) is not None:
            doc[key] = v[key]
    reasoning = v.get("capabilities.reasoning")
    doc["capabilities"] = {
        "json_mode": v["capabilities.json_mode"],
        "vision": v["capabilities.vision"],
        "tool_use": v["capabilities.tool_use"],
        "reasoning": {"parameter": reasoning} if reasoning else False,
    }
    cost = {
        k.split(".")[1]: v[k]
        for k in ("cost.input_per_token", "cost.output_per_token")
        if v.get(k) is not None
    }
    if cost:
        doc["cost"] = cost
    doc["enabled"] = v["enabled"]
    return _dump(header, doc)


def settings_document(settings: SettingsState, header: str = "") -> str:
    doc: dict[str, Any] = {"kind": "Settings"}
    doc.update({k: v for k, v in settings.fields().items() if v is not None})
    return _dump(header, doc)


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


@dataclass
class _Invalid:
    """Names the catalog schema rejects, and the files that hold them."""

    names: list[tuple[str, str, Path]] = field(default_factory=list)  # (kind, name, file)
    references: list[tuple[Path, str]] = field(default_factory=list)  # (file, what)


def _invalid_header(kind: str, what: list[str]) -> str:
    """The comment that marks a file holding names the catalog schema rejects."""
    return _INVALID_NOTE.format(what="; ".join(what), kind=kind) if what else ""


def _name_help(kind: str) -> str:
    if kind == "model":
        return f"a model slug {PATTERN_HELP[SLUG_PATTERN]}"
    return f"a credential name {PATTERN_HELP[NAME_PATTERN]}"


def _ref_problem(field_name: str, kind: str, name: object) -> list[str]:
    if not isinstance(name, str):
        return []
    ok = valid_slug(name) if kind == "model" else valid_name(name)
    return [] if ok else [f"{field_name} {_quoted(name)} is not a valid {kind} name"]


def _inside(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    return resolved != root and resolved.is_relative_to(root)


def export(db_url: str, out_dir: str, out: TextIO | None = None, force: bool = False) -> int:
    out = sys.stdout if out is None else out
    root = Path(out_dir)
    existing = [] if force else existing_yaml(root)
    if existing:
        # Overwriting would mix two catalogs: files of rows under other names stay and
        # duplicate the slugs this export writes.
        raise CatalogError(
            f"{out_dir} already holds {plural(len(existing), 'YAML file')}; export writes a whole "
            "catalog and would mix it with them",
            hint="export into an empty directory, or pass --force to overwrite files there",
        )
    require_database(db_url)  # a read must not create an empty registry file
    live = read_live_state(db_url)
    models = {slug: m for slug, m in live.models.items() if m.active}
    # deactivated models are history, not catalog entries
    cred_stems = file_stems(
        ((n, c.id, valid_name(n)) for n, c in live.credentials.items()), "credential"
    )
    model_stems = file_stems(((s, m.id, valid_slug(s)) for s, m in models.items()), "model")
    invalid = _Invalid()
    files: dict[Path, str] = {}
    placeholders = 0
    for name, cred in sorted(live.credentials.items()):
        path = root / "credentials" / f"{cred_stems[name]}.yaml"
        what = [] if valid_name(name) else [f"credential name {_quoted(name)} is not valid"]
        if what:
            invalid.names.append(("credential", name, path))
        files[path] = credential_document(cred, _invalid_header("credential", what))
        placeholders += bool(_placeholder_fields(cred))
    for slug, model in sorted(models.items()):
        path = root / "models" / f"{model_stems[slug]}.yaml"
        what = [] if valid_slug(slug) else [f"model slug {_quoted(slug)} is not valid"]
        if what:
            invalid.names.append(("model", slug, path))
        refs = _ref_problem("credential", "credential", model.state.values.get("credential"))
        invalid.references.extend((path, r) for r in refs)
        files[path] = model_document(model, _invalid_header("model", what + refs))
    if live.settings is not None:
        path = root / "settings.yaml"
        settings = live.settings.state
        refs = _ref_problem("default_model", "model", settings.default_model)
        refs += _ref_problem("platform_credential", "credential", settings.platform_credential)
        invalid.references.extend((path, r) for r in refs)
        files[path] = settings_document(settings, _invalid_header("settings", refs))
    _write(root, out_dir, files)
    out.write(
        f"Exported {plural(len(live.credentials), 'credential')}, "
        f"{plural(len(models), 'model')} and "
        f"{'the' if live.settings else 'no'} settings to {root}/\n"
    )
    if placeholders:
        verb = "uses" if placeholders == 1 else "use"
        out.write(
            f"{plural(placeholders, 'credential file')} {verb} env placeholders: wire their "
            "secrets before applying (see the comments in those files).\n"
        )
    _warn_invalid(invalid, root, out)
    return 0


def _write(root: Path, out_dir: str, files: dict[Path, str]) -> None:
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
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as err:
            raise CatalogError(
                f"cannot write {path}: {err.strerror or err}",
                hint="pass --out a directory you can write to (or a path where one can be made)",
            ) from None


def _warn_invalid(invalid: _Invalid, root: Path, out: TextIO) -> None:
    if not invalid.names and not invalid.references:
        return
    lines = []
    if invalid.names:
        lines.append(
            f"warning: {plural(len(invalid.names), 'exported name')} "
            f"{'is' if len(invalid.names) == 1 else 'are'} not valid in a catalog, so validate "
            "will reject the files that hold them (each is marked with a comment at the top):"
        )
        for kind, name, path in invalid.names:
            lines.append(f"  {kind} {_quoted(name)}: {path.relative_to(root).as_posix()}")
    if invalid.references:
        if not invalid.names:
            lines.append("warning: exported files refer to names that are not valid in a catalog:")
        for path, what in invalid.references:
            lines.append(f"  {path.relative_to(root).as_posix()}: {what}")
    for kind in sorted({kind for kind, _, _ in invalid.names}):
        lines.append(f"  {_name_help(kind)}.")
    lines.append(
        "  Before adopting, rename them in the application and export again; or leave them "
        "unmanaged: delete their files (and references to them) from the exported catalog."
    )
    out.write("\n".join(lines) + "\n")
