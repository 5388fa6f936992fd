"""What a live call to one model needs, and the provider's environment-variable fallback."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.providers.table import PROVIDERS
from reconciler.secrets.values import SecretValue


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


def env_fallback(
    provider: str, env: Mapping[str, str]
) -> tuple[str, dict[str, SecretValue], dict[str, str]]:
    """Source, secrets and config from a provider's standard environment variables:
    ``("env:VAR", {...}, {...})``, or ``("none", {}, {...})`` when none is set."""
    record = PROVIDERS.get(provider)
    if record is None:
        return "none", {}, {}
    config: dict[str, str] = {}
    for config_field, names in record.fallback_config.items():
        value = next((v for n in names if (v := env.get(n))), None)
        if value:
            config[config_field] = value
    for name in record.fallback_env:
        if not env.get(name):
            continue
        secrets = {
            secret_field: SecretValue(value)
            for secret_field, variable in record.fallback_fields(name).items()
            if (value := env.get(variable))
        }
        return f"env:{name}", secrets, config
    return "none", {}, config
