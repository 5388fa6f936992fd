"""Runtime resolution for the application and for live provider calls.

``RegistryClient(db_url).resolve(slug)`` returns what an inference call needs: the provider and
model ID to call, and the decrypted credential fields of an enabled model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.secrets.values import SecretValue

# Standard environment variables a provider's key is read from when a custom model names no
# credential (litellm reads the same names).
FALLBACK_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
    "fireworks": ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"),
    "together": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
    "bedrock": ("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID"),
    "huggingface": ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
    "openai_compatible": (),
}


@dataclass(frozen=True)
class ResolvedModel:
    """Everything a live call to one model needs. ``provider`` is the provider actually called
    (``openrouter`` for platform models); ``source`` says where the credential came from:
    ``credential:<name>``, ``env:<VAR>`` or ``none``."""

    slug: str
    provider: str
    model_id: str
    deployment: str
    source: str
    credential_name: str | None = None
    secrets: Mapping[str, SecretValue] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
