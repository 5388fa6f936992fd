"""The catalog format: pydantic models that are the one source of the published JSON Schemas.

``reconciler.catalog.schema`` generates ``schemas/*.schema.json`` from these classes; a test
fails when the files are out of date. Every field carries a description (editors show it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.catalog.chars import UNSAFE_IN_NAMES_CLASS, UNSAFE_IN_TEXT_CLASS
from reconciler.providers import table

# The providers and their credential fields come from the provider table; the Literal types
# below spell them out for the schema (a test checks they agree).
CREDENTIAL_PROVIDERS = table.CREDENTIAL_PROVIDERS
# Upstream vendors of platform models (the prefix of an OpenRouter model ID). Editors offer
# these and the credential providers as suggestions; any other provider name is allowed.
UPSTREAM_VENDORS: tuple[str, ...] = (
    "openai",
    "anthropic",
    "google",
    "x-ai",
    "meta-llama",
    "mistralai",
    "deepseek",
    "qwen",
    "cohere",
    "perplexity",
    "moonshotai",
)
ApiKeyProvider = Literal["openai", "anthropic", "google", "openrouter", "fireworks", "together"]
Category = Literal["premium", "standard", "budget"]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
HTTP_URL_PATTERN = r"^https?://[^\s/]+(/\S*)?$"
PROVIDER_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
MODEL_ID_PATTERN = rf"^[^\s{UNSAFE_IN_NAMES_CLASS}]+$"
DISPLAY_NAME_PATTERN = rf"^[^{UNSAFE_IN_NAMES_CLASS}]*$"
# secret reference locations (paths, keys, secret IDs): no control or bidi character
LOCATION_PATTERN = DISPLAY_NAME_PATTERN
TEXT_PATTERN = rf"^[^{UNSAFE_IN_TEXT_CLASS}]*$"  # free text: tabs and line breaks allowed
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"
# What a value failing each pattern must look like: messages show this, never the regex.
# A test checks that every pattern in the published schemas has an entry.
PATTERN_HELP: dict[str, str] = {
    SLUG_PATTERN: "must be a slug: lowercase letters and digits, words joined by single "
    "hyphens, such as claude-sonnet-4",
    NAME_PATTERN: "must be a name of lowercase letters, digits, '.', '_' and '-' (at most 128, "
    "starting and ending with a letter or digit), such as prod-anthropic",
    ENV_PATTERN: "must be an environment variable name: letters, digits and _, not starting "
    "with a digit, such as ANTHROPIC_API_KEY",
    DATE_PATTERN: "must be a date written YYYY-MM-DD, such as 2025-05-14",
    HTTP_URL_PATTERN: "must be an http(s) URL such as https://llm-gateway.example.com",
    PROVIDER_PATTERN: "must be a provider name of lowercase letters, digits, '_', '.' and '-', "
    "such as anthropic or x-ai",
    MODEL_ID_PATTERN: "must not contain spaces, line breaks or control characters",
    DISPLAY_NAME_PATTERN: "must not contain tabs, line breaks or other control characters",
    TEXT_PATTERN: "must not contain control characters other than tabs and line breaks",
    REGION_PATTERN: "must be an AWS region such as us-east-1",
}
# The registry stores token counts in 32-bit signed INTEGER columns (reconciler/db/tables.py);
# a larger value would pass validate and plan, then fail in apply.
INT32_MAX = 2_147_483_647
# Lengths of the registry's VARCHAR columns for catalog strings: PostgreSQL refuses longer ones.
TEXT_MAX = 255  # slugs, display names, model IDs
MODEL_PROVIDER_MAX = 64
HttpUrl = Annotated[str, Field(pattern=HTTP_URL_PATTERN, description="an http:// or https:// URL")]


class _Spec(BaseModel):
    # no .nan/.inf: JSON (and so the published schemas) has no such numbers
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --- secret references -------------------------------------------------------------------


class SopsLocation(_Spec):
    file: str = Field(
        min_length=1,
        pattern=LOCATION_PATTERN,
        description="Path of the SOPS-encrypted file, relative to the catalog root.",
    )
    key: str = Field(
        min_length=1,
        pattern=LOCATION_PATTERN,
        description="Top-level key in the decrypted file, or a dotted path (a.b.c).",
    )


class AwsSecretLocation(_Spec):
    secret_id: str = Field(
        min_length=1, pattern=LOCATION_PATTERN, description="Name or ARN of the secret."
    )
    json_key: str | None = Field(
        default=None,
        min_length=1,
        pattern=LOCATION_PATTERN,
        description="Key to read when the secret is a JSON object.",
    )
    version_stage: str | None = Field(
        default=None,
        min_length=1,
        pattern=LOCATION_PATTERN,
        description="Version stage to read (default AWSCURRENT).",
    )
    region: str | None = Field(
        default=None,
        min_length=1,
        pattern=LOCATION_PATTERN,
        description="AWS region of the secret (default: from the environment).",
    )


class EnvRef(_Spec):
    """The secret is read from an environment variable of the process that applies."""

    env: str = Field(pattern=ENV_PATTERN, description="Name of the environment variable.")


class SopsRef(_Spec):
    """The secret is read from a SOPS-encrypted file in the catalog."""

    sops: SopsLocation = Field(description="Where in which SOPS file the secret is.")


class AwsRef(_Spec):
    """The secret is read from AWS Secrets Manager."""

    aws_secretsmanager: AwsSecretLocation = Field(description="Which secret to read.")


SecretRef = Annotated[
    EnvRef | SopsRef | AwsRef,
    Field(
        description="A reference to a secret, never the secret itself: exactly one of "
        "{env: VAR}, {sops: {file, key}} or {aws_secretsmanager: {secret_id, ...}}.",
        json_schema_extra={"x-secret-reference": True},
    ),
]


# --- credentials -----------------------------------------------------------------------------


class _CredentialBase(_Spec):
    kind: Literal["ProviderCredential"] = Field(description="Document kind.")
    name: str = Field(
        pattern=NAME_PATTERN,
        description="Identity of the credential (e.g. prod-anthropic); models link it by name.",
    )
    display_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=TEXT_MAX,
        pattern=DISPLAY_NAME_PATTERN,
        description="Human-readable name shown in the registry.",
    )
    description: str | None = Field(
        default=None, pattern=TEXT_PATTERN, description="What the credential is for."
    )


class ApiKeyCredential(_CredentialBase):
    provider: ApiKeyProvider = Field(description="Provider the credential authenticates to.")
    api_key: SecretRef
    base_url: HttpUrl | None = Field(
        default=None,
        description="http(s) URL to call instead of the provider's public API (a gateway, "
        "proxy or regional endpoint speaking the provider's API), in the form the provider's "
        "SDK takes: e.g. https://gw.example.com/v1 for openai, https://gw.example.com for "
        "anthropic, https://gw.example.com/v1beta for google.",
    )


class BedrockCredential(_CredentialBase):
    """Either an IAM key pair (access_key_id + secret_access_key) or a Bedrock API key."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["access_key_id", "secret_access_key"],
                    "not": {"required": ["api_key"]},
                },
                {
                    "required": ["api_key"],
                    "not": {
                        "anyOf": [
                            {"required": ["access_key_id"]},
                            {"required": ["secret_access_key"]},
                        ]
                    },
                },
            ]
        }
    )

    provider: Literal["bedrock"] = Field(description="Amazon Bedrock.")
    region: str = Field(pattern=REGION_PATTERN, description="AWS region, e.g. us-east-1.")
    access_key_id: SecretRef | None = Field(
        default=None,
        description="IAM access key ID (a secret reference); set with secret_access_key, "
        "or use api_key instead.",
    )
    secret_access_key: SecretRef | None = Field(
        default=None,
        description="IAM secret access key (a secret reference); set with access_key_id.",
    )
    api_key: SecretRef | None = Field(
        default=None,
        description="Bedrock API key (a secret reference), instead of an IAM key pair.",
    )
    endpoint_url: HttpUrl | None = Field(
        default=None,
        description="http(s) URL of the Bedrock runtime to call instead of "
        "bedrock-runtime.<region>.amazonaws.com: a VPC (PrivateLink) endpoint or a proxy.",
    )


class HuggingFaceCredential(_CredentialBase):
    provider: Literal["huggingface"] = Field(description="Hugging Face Inference Endpoints.")
    api_key: SecretRef
    endpoint_url: str = Field(
        pattern=HTTP_URL_PATTERN,
        description="http(s) URL of the Inference Endpoint (or of a self-hosted TGI server).",
    )


class OpenAICompatibleCredential(_CredentialBase):
    provider: Literal["openai_compatible"] = Field(
        description="Any server speaking the OpenAI chat-completions API."
    )
    base_url: str = Field(pattern=HTTP_URL_PATTERN, description="Base URL of the API, e.g. .../v1.")
    api_key: SecretRef | None = Field(
        default=None,
        description="API key (a secret reference); omit for servers without authentication.",
    )


ProviderCredential = Annotated[
    ApiKeyCredential | BedrockCredential | HuggingFaceCredential | OpenAICompatibleCredential,
    Field(discriminator="provider"),
]

SECRET_FIELDS = table.SECRET_FIELDS
PLAIN_CONFIG_FIELDS = table.PLAIN_CONFIG_FIELDS


# --- models ------------------------------------------------------------------------------------


class Reasoning(_Spec):
    enabled: bool = Field(default=True, description="Whether extended reasoning is on.")
    parameter: Literal["effort", "max_tokens"] | None = Field(
        default=None,
        description="Parameter shape the provider takes for extended reasoning: "
        "'effort' (low/medium/high) or 'max_tokens' (a thinking-token budget). Required when "
        "reasoning is on; not allowed when it is off.",
    )


class Capabilities(_Spec):
    json_mode: bool = Field(default=False, description="Supports JSON mode / response schemas.")
    vision: bool = Field(default=False, description="Accepts image input.")
    tool_use: bool = Field(default=False, description="Supports tool / function calling.")
    reasoning: Literal[False] | Reasoning = Field(
        default=False,
        description="Extended reasoning: false (off) or {parameter: effort|max_tokens}.",
    )


class Cost(_Spec):
    input_per_token: float | None = Field(
        default=None, ge=0, description="USD per input token (e.g. 3e-6 for $3 per 1M)."
    )
    output_per_token: float | None = Field(
        default=None, ge=0, description="USD per output token (e.g. 1.5e-5 for $15 per 1M)."
    )


class ModelSpec(_Spec):
    kind: Literal["Model"] = Field(description="Document kind.")
    display_name: str = Field(
        min_length=1,
        max_length=TEXT_MAX,
        pattern=DISPLAY_NAME_PATTERN,
        description="Name shown to users, e.g. Claude Opus 4.8.",
    )
    slug: str | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        max_length=TEXT_MAX,
        description="Identity that workflows reference; derived from display_name when absent.",
    )
    previous_slugs: list[Annotated[str, Field(pattern=SLUG_PATTERN, max_length=TEXT_MAX)]] = Field(
        default_factory=list,
        description="Slugs this model had before; the plan shows a rename and apply repoints "
        "workflows that use them.",
    )
    deployment: Literal["platform", "custom"] = Field(
        description="platform: served through the platform's OpenRouter integration; "
        "custom: bring-your-own-key with a provider credential."
    )
    provider: str = Field(
        pattern=PROVIDER_PATTERN,
        max_length=MODEL_PROVIDER_MAX,
        examples=list(dict.fromkeys(CREDENTIAL_PROVIDERS + UPSTREAM_VENDORS)),
        description="custom: one of the nine credential providers; platform: the upstream "
        "vendor, the prefix of model_id (openai, anthropic, x-ai, ...).",
    )
    model_id: str = Field(
        min_length=1,
        max_length=TEXT_MAX,
        pattern=MODEL_ID_PATTERN,
        description="Provider-specific model identifier, e.g. claude-sonnet-4-20250514 or "
        "openai/gpt-5.5.",
    )
    credential: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="Name of a ProviderCredential (custom models only); when absent the "
        "provider's environment-variable API key is used at runtime.",
    )
    category: Category | None = Field(default=None, description="Tier of the model.")
    description: str | None = Field(
        default=None, pattern=TEXT_PATTERN, description="What the model is good for."
    )
    release_date: str | None = Field(
        default=None,
        pattern=DATE_PATTERN,
        json_schema_extra={"format": "date"},
        description="Release date, YYYY-MM-DD.",
    )
    context_window: int = Field(gt=0, le=INT32_MAX, description="Context window in tokens.")
    max_output_tokens: int | None = Field(
        default=None,
        gt=0,
        le=INT32_MAX,
        description="Output token limit; at most context_window.",
    )
    capabilities: Capabilities = Field(
        default_factory=Capabilities, description="What the model supports."
    )
    cost: Cost = Field(default_factory=Cost, description="Per-token prices in USD.")
    enabled: bool = Field(default=True, description="Availability toggle.")


class SettingsSpec(_Spec):
    kind: Literal["Settings"] = Field(description="Document kind.")
    default_model: str | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        max_length=TEXT_MAX,
        description="Slug of the default (enabled) model.",
    )
    platform_credential: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="Name of the openrouter credential used by all platform models.",
    )


CatalogDocument = Annotated[
    ProviderCredential | ModelSpec | SettingsSpec, Field(discriminator="kind")
]
