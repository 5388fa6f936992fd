"""Catalog documents (YAML text) for the live registry's rows, and the set of files an export
writes, with the names a catalog would reject marked in the files that hold them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.catalog.schemaline import schema_line
from reconciler.export.names import env_name, file_stems, quoted, valid_name, valid_slug
from reconciler.providers.table import PROVIDERS
from reconciler.state.live import LiveCredential, LiveModel, LiveState
from reconciler.state.records import SettingsState

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
            doc[field_name] = {"env": env_name(state.name, field_name)}
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


@dataclass
class Invalid:
    """Names the catalog schema rejects, and the files that hold them."""

    names: list[tuple[str, str, Path]] = field(default_factory=list)  # (kind, name, file)
    references: list[tuple[Path, str]] = field(default_factory=list)  # (file, what)


def _invalid_header(kind: str, what: list[str]) -> str:
    """The comment that marks a file holding names the catalog schema rejects."""
    return _INVALID_NOTE.format(what="; ".join(what), kind=kind) if what else ""


def _ref_problem(field_name: str, kind: str, name: object) -> list[str]:
    if not isinstance(name, str):
        return []
    ok = valid_slug(name) if kind == "model" else valid_name(name)
    return [] if ok else [f"{field_name} {quoted(name)} is not a valid {kind} name"]


@dataclass
class Export:
    """The files an export writes (path -> YAML text) and what it found."""

    files: dict[Path, str] = field(default_factory=dict)
    invalid: Invalid = field(default_factory=Invalid)
    credentials: int = 0
    models: int = 0
    settings: bool = False
    placeholders: int = 0  # credential files with env placeholders to wire
    # exported rows the reconciler did not create, (kind, name): plan/apply need --adopt
    unmanaged: list[tuple[str, str]] = field(default_factory=list)


def build_export(live: LiveState, root: Path) -> Export:
    """The catalog files for ``live`` under ``root``: one per credential and active model
    (deactivated models are history, not catalog entries), and the settings."""
    models = {slug: m for slug, m in live.models.items() if m.active}
    cred_stems = file_stems(
        ((n, c.id, valid_name(n)) for n, c in live.credentials.items()), "credential"
    )
    model_stems = file_stems(((s, m.id, valid_slug(s)) for s, m in models.items()), "model")
    result = Export(credentials=len(live.credentials), models=len(models))
    invalid = result.invalid
    for name, cred in sorted(live.credentials.items()):
        path = root / "credentials" / f"{cred_stems[name]}.yaml"
        what = [] if valid_name(name) else [f"credential name {quoted(name)} is not valid"]
        if what:
            invalid.names.append(("credential", name, path))
        head = schema_line(path, root, "ProviderCredential")
        result.files[path] = credential_document(cred, head + _invalid_header("credential", what))
        result.placeholders += bool(_placeholder_fields(cred))
        if not cred.managed:
            result.unmanaged.append(("credential", name))
    for slug, model in sorted(models.items()):
        path = root / "models" / f"{model_stems[slug]}.yaml"
        what = [] if valid_slug(slug) else [f"model slug {quoted(slug)} is not valid"]
        if what:
            invalid.names.append(("model", slug, path))
        refs = _ref_problem("credential", "credential", model.state.values.get("credential"))
        invalid.references.extend((path, r) for r in refs)
        head = schema_line(path, root, "Model")
        result.files[path] = model_document(model, head + _invalid_header("model", what + refs))
        if not model.managed:
            result.unmanaged.append(("model", slug))
    if live.settings is not None:
        result.settings = True
        path = root / "settings.yaml"
        settings = live.settings.state
        refs = _ref_problem("default_model", "model", settings.default_model)
        refs += _ref_problem("platform_credential", "credential", settings.platform_credential)
        invalid.references.extend((path, r) for r in refs)
        head = schema_line(path, root, "Settings")
        result.files[path] = settings_document(settings, head + _invalid_header("settings", refs))
        if not live.settings.managed:
            result.unmanaged.append(("settings", ""))
    return result
