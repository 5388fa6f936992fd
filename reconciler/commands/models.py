from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from reconciler.db.engine import require_database
from reconciler.plan.build import read_live_state
from reconciler.providers.resolved import key_missing
from reconciler.providers.table import model_route
from reconciler.state.live import LiveModel, LiveState

CATEGORIES = ("premium", "standard", "budget", None)


def _status(model: LiveModel) -> str:
    if not model.active:
        return "inactive"
    return "enabled" if model.state.get("enabled") else "disabled"


def _key_missing(model: LiveModel, live: LiveState) -> bool:
    """An enabled model that has no credential and no fallback environment variable."""
    if _status(model) != "enabled":
        return False
    v = model.state.values
    platform = (live.settings.state.platform_credential if live.settings else None) or None
    use = model_route(v.get("deployment"), v.get("provider"), v.get("credential") or None, platform)
    return key_missing(use.provider, use.credential, os.environ)


def _credential_source(model: LiveModel) -> str | None:
    """Where the model's API key comes from: ``credential`` (its own, named in
    ``credential``), ``platform`` (the settings' platform credential, or OPENROUTER_API_KEY),
    ``env_fallback`` (the provider's API key variable), or None for an inactive row without
    a credential: history has no fallback, only the credential it kept."""
    v = model.state.values
    if v.get("credential"):
        return "credential"
    if not model.active:
        return None
    return "platform" if v.get("deployment") == "platform" else "env_fallback"


def _credential_label(row: dict[str, Any]) -> str:
    """What the Credential column shows: the row's credential, else where a key would come
    from (the JSON's ``credential_source``)."""
    source = row["credential_source"]
    if source == "credential":
        return str(row["credential"])
    return "-" if source is None else str(source).replace("_", " ")


def _rows(live: LiveState, provider: str | None, category: str | None) -> list[dict[str, Any]]:
    rows = []
    for slug, model in sorted(live.models.items()):
        v = model.state.values
        if provider and v.get("provider") != provider:
            continue
        if category and v.get("category") != category:
            continue
        rows.append(
            {
                "slug": slug,
                "display_name": v.get("display_name"),
                "model_id": v.get("model_id"),
                "provider": v.get("provider"),
                "deployment": v.get("deployment"),
                "category": v.get("category"),
                "context_window": v.get("context_window"),
                "max_output_tokens": v.get("max_output_tokens"),
                "credential": v.get("credential"),
                "credential_source": _credential_source(model),
                "status": _status(model),
                "managed": model.managed,
                "key_missing": _key_missing(model, live),
            }
        )
    return rows


def models(
    db_url: str, provider: str | None, category: str | None, fmt: str, out: TextIO | None = None
) -> int:
    out = sys.stdout if out is None else out
    require_database(db_url)  # a read must not create an empty registry file
    live = read_live_state(db_url)
    rows = _rows(live, provider, category)
    if fmt == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=max(120, Console(file=out).width))
    if not rows:
        console.print("No models match.")
        return 0
    for cat in CATEGORIES:
        group = [r for r in rows if r["category"] == cat]
        if not group:
            continue
        table = Table(title=(cat or "uncategorized").capitalize(), title_justify="left")
        columns = ("Slug", "Model", "Provider", "Context", "Max output", "Credential", "Status")
        for column in columns:
            table.add_column(
                column, justify="right" if column in ("Context", "Max output") else "left"
            )
        for r in group:
            credential = _credential_label(r)
            status = r["status"] + (" (no key!)" if r["key_missing"] else "")
            table.add_row(
                str(r["slug"]),
                f"{r['display_name']}\n[dim]{r['model_id']}[/dim]",
                str(r["provider"]),
                f"{r['context_window']:,}",
                f"{r['max_output_tokens']:,}" if r["max_output_tokens"] else "-",
                str(credential),
                status,
            )
        console.print(table)
    missing = [r["slug"] for r in rows if r["key_missing"]]
    if missing:
        console.print(
            f"[yellow]warning:[/yellow] {len(missing)} enabled model(s) have no credential and "
            f"no fallback API key variable set: {', '.join(missing)}"
        )
    return 0
