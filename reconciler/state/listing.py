"""The live registry's models as rows, as the Models page lists them: status, where each
model's key comes from, and whether an enabled model has no key at all."""

from __future__ import annotations

import os
from typing import Any

from reconciler.providers.table import key_missing, model_route
from reconciler.state.live import LiveModel, LiveState


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


def model_rows(live: LiveState, provider: str | None, category: str | None) -> list[dict[str, Any]]:
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
