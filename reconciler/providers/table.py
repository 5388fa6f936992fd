"""The provider table: everything the reconciler knows about each provider, one record each.

The catalog's credential fields, the standard environment variables a key falls back to, how
litellm reaches the provider (``litellm_params.model`` prefix and keyword names), what export
writes for secrets the registry holds none of, and where lint looks in litellm's model data.
``model_route`` answers which provider and credential a model uses. This module imports
nothing of the reconciler: the catalog, runtime, plan, export and lint all read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar


@dataclass(frozen=True)
class Route:
    """How litellm reaches one provider.

    ``prefix``: litellm's route (``gemini/``, ``openrouter/``, ...), prepended to the model ID
    unless it already starts with it. ``secrets``: credential secret field -> litellm keyword.
    ``config``: credential config field -> litellm keyword. ``placeholder_key``: when no key is
    resolved, send a placeholder instead of letting litellm read a provider environment
    variable. ``retry_kwargs``: pass ``num_retries=0`` and ``max_retries=0``; off where litellm
    would forward them to the server as request fields (it does not retry when neither is
    given). ``litellm_providers``: the ``litellm_provider`` values litellm files the
    provider's models under (empty: litellm knows nothing reliable about them).
    """

    prefix: str
    secrets: Mapping[str, str] = field(default_factory=lambda: {"api_key": "api_key"})
    config: Mapping[str, str] = field(default_factory=lambda: {"base_url": "api_base"})
    placeholder_key: bool = False
    retry_kwargs: bool = True
    litellm_providers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    """One credential provider.

    ``secret_fields`` / ``config_fields``: the credential fields the catalog allows (secret
    references / plain values). ``fallback_env``: variables a model without a credential reads
    its key from, the first one set wins (litellm reads the same names); ``fallback_secrets``:
    for a variable that brings more than an API key, secret field -> variable;
    ``fallback_config``: config field -> variables. ``export_secrets``: the secret fields an
    export writes placeholders for when the registry holds none. ``lint_prefixes``: litellm
    model-data key prefixes to try, in order (with ``route.litellm_providers``).
    """

    name: str
    route: Route
    secret_fields: tuple[str, ...] = ("api_key",)
    config_fields: tuple[str, ...] = ("base_url",)
    fallback_env: tuple[str, ...] = ()
    fallback_secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    fallback_config: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    export_secrets: tuple[str, ...] = ("api_key",)
    lint_prefixes: tuple[str, ...] = ()

    def fallback_fields(self, variable: str) -> Mapping[str, str]:
        """Secret field -> environment variable, when ``variable`` is the one that is set."""
        return self.fallback_secrets.get(variable) or {"api_key": variable}


# API-key providers take an optional base_url (a gateway, proxy or regional endpoint) as
# litellm's api_base. litellm appends the provider's own path to it: /chat/completions (openai,
# openrouter, fireworks, together), /v1/messages (anthropic), /models/{model}:generateContent
# (google).
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider(
            "openai",
            Route("openai/", litellm_providers=("openai",)),
            fallback_env=("OPENAI_API_KEY",),
            lint_prefixes=("", "openai/"),
        ),
        Provider(
            "anthropic",
            Route("anthropic/", litellm_providers=("anthropic",)),
            fallback_env=("ANTHROPIC_API_KEY",),
            lint_prefixes=("", "anthropic/"),
        ),
        Provider(
            "google",
            Route("gemini/", litellm_providers=("gemini",)),
            fallback_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            lint_prefixes=("gemini/", ""),
        ),
        # litellm's native OpenRouter route (not the OpenAI-compatible one)
        Provider(
            "openrouter",
            Route("openrouter/", litellm_providers=("openrouter",)),
            fallback_env=("OPENROUTER_API_KEY",),
            lint_prefixes=("openrouter/",),
        ),
        Provider(
            "fireworks",
            Route("fireworks_ai/", litellm_providers=("fireworks_ai",)),
            fallback_env=("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"),
            lint_prefixes=("fireworks_ai/", ""),
        ),
        Provider(
            "together",
            Route("together_ai/", litellm_providers=("together_ai",)),
            fallback_env=("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
            lint_prefixes=("together_ai/", ""),
        ),
        # IAM key pair (SigV4) or a Bedrock API key, which litellm sends as a bearer token when
        # it is passed as api_key (the same as AWS_BEARER_TOKEN_BEDROCK). endpoint_url (a VPC
        # endpoint) replaces https://bedrock-runtime.<region>.amazonaws.com; SigV4 signs for it.
        Provider(
            "bedrock",
            Route(
                "bedrock/",
                secrets={
                    "access_key_id": "aws_access_key_id",
                    "secret_access_key": "aws_secret_access_key",
                    "api_key": "api_key",
                },
                config={
                    "region": "aws_region_name",
                    "endpoint_url": "aws_bedrock_runtime_endpoint",
                },
                litellm_providers=("bedrock", "bedrock_converse"),
            ),
            secret_fields=("access_key_id", "secret_access_key", "api_key"),
            config_fields=("region", "endpoint_url"),
            fallback_env=("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID"),
            fallback_secrets={
                "AWS_ACCESS_KEY_ID": {
                    "access_key_id": "AWS_ACCESS_KEY_ID",
                    "secret_access_key": "AWS_SECRET_ACCESS_KEY",
                }
            },
            fallback_config={"region": ("AWS_REGION", "AWS_DEFAULT_REGION")},
            # an IAM pair or an API key: export writes the API key form as the placeholder
            export_secrets=("api_key",),
            lint_prefixes=("", "bedrock/", "bedrock/converse/"),
        ),
        # A Hugging Face Inference Endpoint (or a TGI server): the token plus the endpoint URL
        # as api_base; litellm calls {endpoint_url}/v1/chat/completions. With an api_base
        # litellm's huggingface route copies max_retries (which num_retries sets) into the
        # request body. Self-hosted: litellm's model data says nothing reliable about it.
        Provider(
            "huggingface",
            Route("huggingface/", config={"endpoint_url": "api_base"}, retry_kwargs=False),
            config_fields=("endpoint_url",),
            fallback_env=("HF_TOKEN", "HUGGINGFACE_API_KEY"),
        ),
        # Any OpenAI chat-completions server: litellm's openai/ route at base_url. No fallback
        # variable: without a credential there is no base URL either.
        Provider(
            "openai_compatible",
            Route("openai/", placeholder_key=True),
            export_secrets=(),
        ),
    )
}
CREDENTIAL_PROVIDERS: tuple[str, ...] = tuple(PROVIDERS)
# Platform models are served through the platform's OpenRouter credential.
PLATFORM_PROVIDER = "openrouter"
PLATFORM = PROVIDERS[PLATFORM_PROVIDER]

# OpenRouter vendor prefix (platform model IDs, openrouter model IDs) -> the litellm model-data
# key prefix and providers of the vendor's own route (lint looks there too).
OPENROUTER_VENDORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "openai": ("", ("openai",)),
    "anthropic": ("", ("anthropic",)),
    "google": ("gemini/", ("gemini",)),
    "x-ai": ("xai/", ("xai",)),
    "mistralai": ("mistral/", ("mistral",)),
    "deepseek": ("deepseek/", ("deepseek",)),
    "cohere": ("", ("cohere", "cohere_chat")),
    "perplexity": ("perplexity/", ("perplexity",)),
}


# Every credential field that holds a secret reference / a plain value, across providers, in
# the order plans show them (a test checks they match the records).
SECRET_FIELDS: tuple[str, ...] = ("api_key", "access_key_id", "secret_access_key")
PLAIN_CONFIG_FIELDS: tuple[str, ...] = ("region", "endpoint_url", "base_url")


C = TypeVar("C")


@dataclass(frozen=True)
class ModelRoute(Generic[C]):
    """Which provider a model calls and whose credential it uses. ``credential`` is whatever
    identifies a credential to the caller (a name, a row id); None: the provider's fallback
    environment variables."""

    provider: str
    credential: C | None
    platform: bool

    @property
    def record(self) -> Provider | None:
        return PROVIDERS.get(self.provider)


def model_route(
    deployment: object, provider: object, credential: C | None, platform_credential: C | None
) -> ModelRoute[C]:
    """Platform models call OpenRouter with the platform credential; custom models call their
    own provider with their own credential."""
    if deployment == "platform":
        return ModelRoute(PLATFORM_PROVIDER, platform_credential, True)
    return ModelRoute(str(provider), credential, False)


def fallback_env(provider: str) -> tuple[str, ...]:
    """The variables a model of ``provider`` without a credential reads its key from."""
    record = PROVIDERS.get(provider)
    return () if record is None else record.fallback_env


def key_missing(provider: str, credential: object, env: Mapping[str, str]) -> bool:
    """A model with no credential and none of its provider's fallback variables set."""
    return credential is None and not any(env.get(n) for n in fallback_env(provider))
