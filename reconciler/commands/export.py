from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, TextIO

import yaml

from reconciler.db.engine import require_database
from reconciler.errors import CatalogError
from reconciler.plan.build import read_live_state
from reconciler.state.live import LiveCredential, LiveModel
from reconciler.state.records import SettingsState
from reconciler.words import plural

_REQUIRED_SECRETS = {
    "bedrock": ("api_key",),
    "openai_compatible": (),
}
_PLACEHOLDER_NOTE = (
    "# The registry does not record where {field} came from. Wire the secret: set the\n"
    "# environment variable below where apply runs, or replace it with a sops or\n"
    "# aws_secretsmanager reference. Secret values are never exported.\n"
)


def _env_name(credential: str, field: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"{credential}_{field}".upper()).strip("_")


def _dump(header: str, document: dict[str, Any]) -> str:
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def credential_document(cred: LiveCredential) -> str:
    state = cred.state
    doc: dict[str, Any] = {"kind": "ProviderCredential", "name": state.name}
    if state.display_name:
        doc["display_name"] = state.display_name
    if state.description:
        doc["description"] = state.description
    doc["provider"] = state.provider
    doc.update(state.config)
    notes = []
    fields = list(cred.secrets) or list(_REQUIRED_SECRETS.get(state.provider, ("api_key",)))
    for field in fields:
        secret = cred.secrets.get(field)
        if secret is not None and secret.ref:
            doc[field] = dict(secret.ref)
        else:
            doc[field] = {"env": _env_name(state.name, field)}
            notes.append(_PLACEHOLDER_NOTE.format(field=field))
    return _dump("".join(notes), doc)


def model_document(model: LiveModel) -> str:
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
    return _dump("", doc)


def settings_document(settings: SettingsState) -> str:
    doc: dict[str, Any] = {"kind": "Settings"}
    doc.update({k: v for k, v in settings.fields().items() if v is not None})
    return _dump("", doc)


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
    files: dict[Path, str] = {}
    for name, cred in sorted(live.credentials.items()):
        files[root / "credentials" / f"{name}.yaml"] = credential_document(cred)
    for slug, model in sorted(live.models.items()):
        if model.active:  # deactivated models are history, not catalog entries
            files[root / "models" / f"{slug}.yaml"] = model_document(model)
    if live.settings is not None:
        files[root / "settings.yaml"] = settings_document(live.settings.state)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    placeholders = sum(1 for text in files.values() if "Wire the secret" in text)
    out.write(
        f"Exported {plural(len(live.credentials), 'credential')}, "
        f"{plural(sum(1 for m in live.models.values() if m.active), 'model')} and "
        f"{'the' if live.settings else 'no'} settings to {root}/\n"
    )
    if placeholders:
        out.write(
            f"{plural(placeholders, 'credential file')} use env placeholders: wire their secrets "
            "before applying (see the comments in those files).\n"
        )
    return 0
