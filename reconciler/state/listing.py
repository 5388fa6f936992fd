"""The live registry's models as rows, as the Models page lists them: status, where each
model's key comes from (for a model without a credential, the variables the application
reads), and whether an enabled model can have no key at all."""

from __future__ import annotations

from typing import Any

from reconciler.providers.table import fallback_env, model_route
from reconciler.state.live import LiveModel, LiveState


def _status(model: LiveModel) -> str:
    if not model.active:
        return "inactive"
    return "enabled" if model.state.get("enabled") else "disabled"


def _fallback_env(model: LiveModel, live: LiveState) -> tuple[str, ...] | None:
    """For an enabled model the registry gives no credential: the variables the application
    reads its key from (``RegistryClient.resolve``), () if its provider has none. None when
    the registry gives it a credential (or it is not called). What the registry says, never
    what the shell running this command holds: the application's environment is elsewhere."""
    if _status(model) != "enabled":
        return None
    v = model.state.values
    platform = (live.settings.state.platform_credential if live.settings else None) or None
    use = model_route(v.get("deployment"), v.get("provider"), v.get("credential") or None, platform)
    return None if use.credential is not None else fallback_env(use.provider)


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


def known_providers(live: LiveState) -> list[str]:
    """The providers ``models --provider`` can name: the provider table's, and any other
    that a registry row holds (the application may write one the table does not know)."""
    from reconciler.providers.table import PROVIDERS

    held = {m.state.values.get("provider") for m in live.models.values()}
    return sorted(set(PROVIDERS) | {str(p) for p in held if p is not None})


def model_rows(live: LiveState, provider: str | None, category: str | None) -> list[dict[str, Any]]:
    rows = []
    for slug, model in sorted(live.models.items()):
        v = model.state.values
        variables = _fallback_env(model, live)
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
                # no key anywhere: no credential, and its provider reads no variable
                "key_missing": variables == (),
                # no credential: the application's environment must set one of these
                "fallback_env": list(variables or ()),
            }
        )
    return rows
