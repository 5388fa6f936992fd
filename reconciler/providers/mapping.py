"""How a model is called through litellm, from its provider's route in the provider table.

``completion_kwargs(resolved, timeout=...)`` turns a ``ResolvedModel`` into keyword arguments
for ``litellm.completion``: the routed model string, credentials, API base, provider-specific
parameters, and a minimal, no-retry request. This module must not import litellm (``validate``
and ``plan`` may import it; litellm takes seconds to load).
"""

from __future__ import annotations

from typing import Any

from reconciler.providers.resolved import ResolvedModel
from reconciler.providers.table import Route, model_route

PING_MESSAGES: tuple[dict[str, str], ...] = ({"role": "user", "content": "ping"},)
# Sent as the bearer token to an OpenAI-compatible server configured without a key, so the
# OpenAI client does not fall back to OPENAI_API_KEY (and leak it to a third-party server).
NO_KEY_PLACEHOLDER = "no-key"


# Config fields that override the provider's API base for any provider whose route does not map
# them itself (a proxy, a gateway, a test server).
API_BASE_FIELDS: tuple[str, ...] = ("api_base", "base_url", "endpoint_url")


class UnsupportedProviderError(ValueError):
    """The provider is not in the provider table."""


def route_for(resolved: ResolvedModel) -> Route:
    """Platform models go through the platform's OpenRouter credential."""
    record = model_route(resolved.deployment, resolved.provider, None, None).record
    if record is None:
        raise UnsupportedProviderError(f"no litellm route for provider '{resolved.provider}'")
    return record.route


def litellm_model(resolved: ResolvedModel) -> str:
    """The routed model string litellm is called with, e.g. ``gemini/gemini-2.5-pro``."""
    route = route_for(resolved)
    model_id = resolved.model_id
    if model_id.startswith(route.prefix):
        return model_id
    return route.prefix + model_id


def completion_kwargs(resolved: ResolvedModel, *, timeout: float) -> dict[str, Any]:
    """Keyword arguments for ``litellm.completion``: a 1-token call, no retries.

    The result holds revealed secret values: never log or print it.
    """
    route = route_for(resolved)
    kwargs: dict[str, Any] = {
        "model": litellm_model(resolved),
        "messages": [dict(m) for m in PING_MESSAGES],
        "max_tokens": 1,
        "timeout": timeout,
    }
    if route.retry_kwargs:
        kwargs["num_retries"] = 0  # litellm's own retries
        kwargs["max_retries"] = 0  # the provider SDK's retries (the OpenAI client retries twice)
    for secret_field, keyword in route.secrets.items():
        value = resolved.secrets.get(secret_field)
        if value is not None:
            kwargs[keyword] = value.reveal()
    for config_field, keyword in route.config.items():
        text = resolved.config.get(config_field)
        if text:
            kwargs[keyword] = text
    if "api_base" not in kwargs:
        for name in API_BASE_FIELDS:
            if name not in route.config and resolved.config.get(name):
                kwargs["api_base"] = resolved.config[name]
                break
    if route.placeholder_key and "api_key" not in kwargs:
        kwargs["api_key"] = NO_KEY_PLACEHOLDER
    return kwargs


def secret_texts(resolved: ResolvedModel) -> list[str]:
    """The revealed secret values of a model (for scrubbing messages)."""
    return [value.reveal() for value in resolved.secrets.values()]
