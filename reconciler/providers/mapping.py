"""The one table that says how each provider is called through litellm.

``completion_kwargs(resolved, timeout=...)`` turns a :class:`~reconciler.runtime.ResolvedModel`
into keyword arguments for ``litellm.completion``: the routed model string, credentials, API
base, provider-specific parameters, and a minimal, no-retry request. This module must not
import litellm (``validate`` and ``plan`` may import it; litellm takes seconds to load).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.runtime import ResolvedModel

PING_MESSAGES: tuple[dict[str, str], ...] = ({"role": "user", "content": "ping"},)
# Sent as the bearer token to an OpenAI-compatible server configured without a key, so the
# OpenAI client does not fall back to OPENAI_API_KEY (and leak it to a third-party server).
NO_KEY_PLACEHOLDER = "no-key"


@dataclass(frozen=True)
class Route:
    """How litellm reaches one provider.

    ``prefix``: litellm's route (``gemini/``, ``openrouter/``, ...). ``secrets``: credential
    secret field -> litellm keyword. ``config``: credential config field -> litellm keyword.
    ``placeholder_key``: when no key is resolved, send ``NO_KEY_PLACEHOLDER`` instead of letting
    litellm read a provider environment variable. ``retry_kwargs``: pass ``num_retries=0`` and
    ``max_retries=0``; off where litellm would forward them to the server as request fields
    (it does not retry when neither is given).
    """

    prefix: str
    secrets: Mapping[str, str] = field(default_factory=lambda: {"api_key": "api_key"})
    config: Mapping[str, str] = field(default_factory=lambda: {"base_url": "api_base"})
    placeholder_key: bool = False
    retry_kwargs: bool = True
    litellm_providers: tuple[str, ...] = ()


# API-key providers: the key, and an optional base_url (a gateway, proxy or regional endpoint)
# as litellm's api_base. litellm appends the provider's own path to it: /chat/completions
# (openai, openrouter, fireworks, together), /v1/messages (anthropic),
# /models/{model}:generateContent (google).
ROUTES: dict[str, Route] = {
    "openai": Route("openai/", litellm_providers=("openai",)),
    "anthropic": Route("anthropic/", litellm_providers=("anthropic",)),
    "google": Route("gemini/", litellm_providers=("gemini",)),
    # litellm's native OpenRouter route (not the OpenAI-compatible one)
    "openrouter": Route("openrouter/", litellm_providers=("openrouter",)),
    "fireworks": Route("fireworks_ai/", litellm_providers=("fireworks_ai",)),
    "together": Route("together_ai/", litellm_providers=("together_ai",)),
    # IAM key pair (SigV4) or a Bedrock API key, which litellm sends as a bearer token when it
    # is passed as api_key (the same as AWS_BEARER_TOKEN_BEDROCK). endpoint_url (a VPC endpoint)
    # replaces https://bedrock-runtime.<region>.amazonaws.com, and SigV4 signs for it.
    "bedrock": Route(
        "bedrock/",
        secrets={
            "access_key_id": "aws_access_key_id",
            "secret_access_key": "aws_secret_access_key",
            "api_key": "api_key",
        },
        config={"region": "aws_region_name", "endpoint_url": "aws_bedrock_runtime_endpoint"},
        litellm_providers=("bedrock", "bedrock_converse"),
    ),
    # A Hugging Face Inference Endpoint (or a TGI server): the token plus the endpoint URL as
    # api_base; litellm calls {endpoint_url}/v1/chat/completions. With an api_base litellm's
    # huggingface route copies max_retries (which num_retries sets) into the request body.
    "huggingface": Route(
        "huggingface/",
        config={"endpoint_url": "api_base"},
        retry_kwargs=False,
    ),
    # Any OpenAI chat-completions server: litellm's openai/ route at base_url.
    "openai_compatible": Route("openai/", placeholder_key=True),
}
PLATFORM_ROUTE = ROUTES["openrouter"]

# Config fields that override the provider's API base for any provider whose route does not map
# them itself (a proxy, a gateway, a test server).
API_BASE_FIELDS: tuple[str, ...] = ("api_base", "base_url", "endpoint_url")


class UnsupportedProviderError(ValueError):
    """The provider has no route in ROUTES."""


def route_for(resolved: ResolvedModel) -> Route:
    """Platform models go through the platform's OpenRouter credential."""
    if resolved.deployment == "platform":
        return PLATFORM_ROUTE
    route = ROUTES.get(resolved.provider)
    if route is None:
        raise UnsupportedProviderError(f"no litellm route for provider '{resolved.provider}'")
    return route


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
