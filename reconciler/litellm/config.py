"""The catalog as a LiteLLM proxy config document: deterministic, and without a secret value.

``build_config`` returns the document (``model_list``, ``credential_list``, the aliases and the
general settings) with the secret bindings it reads, or the clashes that keep it from being
rendered, as typed records. The YAML text and the words of the clashes are
reconciler.render.litellm_config's.

Routes and credential keywords come from the provider table (``reconciler.providers.table``).
Every secret becomes an ``os.environ/<VAR>`` reference the proxy resolves at start-up: an
``env`` reference keeps its variable; a SOPS or AWS Secrets Manager reference gets
``LITELLM_CRED_<CREDENTIAL>_<FIELD>`` (uppercased, every other character than A-Z and 0-9 made
``_``), whose value ``litellm-config --secrets-out`` writes for the deployment.

The keys are the ones LiteLLM's proxy reads: ``model_list`` entries with ``litellm_params``
(``litellm_credential_name`` names a ``credential_list`` entry, whose ``credential_values``
the router merges into the call) and ``model_info``; ``router_settings.model_group_alias``
entries in the ``{model, hidden}`` form, hidden so that ``/v1/models`` lists real models only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from reconciler.providers.mapping import NO_KEY_PLACEHOLDER, routed_model
from reconciler.providers.table import PROVIDERS, Provider, model_route
from reconciler.state.desired import DesiredState
from reconciler.state.records import CredentialState, ModelState, SecretRefDict

MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
DEFAULT_ALIAS = "default"
ENV_PREFIX = "LITELLM_CRED_"


@dataclass(frozen=True)
class SecretBinding:
    """One environment variable the config reads a secret from, and where its value lives."""

    variable: str
    credential: str
    field: str
    ref: SecretRefDict


@dataclass(frozen=True)
class SecretField:
    """A credential's secret field, by name (never its value)."""

    credential: str
    field: str


class ClashKind(Enum):
    """Why the config cannot be rendered."""

    RESERVED_VARIABLE = "reserved-variable"  # a secret read from MASTER_KEY_ENV
    SHARED_VARIABLE = "shared-variable"  # two different secrets would meet in one variable
    MODEL_NAMED_DEFAULT = "model-named-default"  # a model slug DEFAULT_ALIAS, with a default model
    PREVIOUS_SLUG_DEFAULT = "previous-slug-default"  # a previous slug DEFAULT_ALIAS, likewise


@dataclass(frozen=True)
class Clash:
    """One clash and the names involved: ``variable`` and ``secrets`` (RESERVED_VARIABLE: one
    secret; SHARED_VARIABLE: the first secret seen and the other one), ``model`` (the slug whose
    name or previous slug is DEFAULT_ALIAS)."""

    kind: ClashKind
    variable: str | None = None
    secrets: tuple[SecretField, ...] = ()
    model: str | None = None


@dataclass(frozen=True)
class Clashes:
    """The clashes that keep the config from being rendered (at least one), in the order
    they were found: variables before aliases."""

    clashes: tuple[Clash, ...]


@dataclass(frozen=True)
class LiteLLMConfig:
    """The config document and the secret bindings it reads, in document order."""

    document: dict[str, Any]
    bindings: tuple[SecretBinding, ...] = ()

    def secret_references(self) -> dict[str, SecretRefDict]:
        """Each variable the config reads a secret from, and where its value lives."""
        return {binding.variable: binding.ref for binding in self.bindings}


def secret_variable(credential: str, field_name: str) -> str:
    """The variable a SOPS or AWS secret reaches the proxy through."""
    return re.sub(r"[^A-Z0-9]", "_", f"{ENV_PREFIX}{credential}_{field_name}".upper())


def _variable(cred: str, field_name: str, ref: SecretRefDict) -> str:
    return str(ref["env"]) if "env" in ref else secret_variable(cred, field_name)


def _variable_clashes(bindings: list[SecretBinding]) -> list[Clash]:
    """Two different secrets must never meet in one variable."""
    clashes: list[Clash] = []
    seen: dict[str, SecretBinding] = {}
    for binding in bindings:
        named = SecretField(binding.credential, binding.field)
        if binding.variable == MASTER_KEY_ENV:
            clashes.append(Clash(ClashKind.RESERVED_VARIABLE, binding.variable, (named,)))
            continue
        other = seen.setdefault(binding.variable, binding)
        if other is not binding and other.ref != binding.ref:
            first = SecretField(other.credential, other.field)
            clashes.append(Clash(ClashKind.SHARED_VARIABLE, binding.variable, (first, named)))
    return clashes


def _record(provider: str) -> Provider:
    record = PROVIDERS.get(provider)
    if record is None:  # validate refuses unknown providers: a bug if it gets here
        raise ValueError(f"provider {provider!r} is not in the provider table")
    return record


def _credential_entry(cred: CredentialState, bindings: list[SecretBinding]) -> dict[str, Any]:
    route = _record(cred.provider).route
    values: dict[str, Any] = {}
    for field_name, keyword in route.secrets.items():
        secret = cred.secrets.get(field_name)
        if secret is not None:
            variable = _variable(cred.name, field_name, secret.ref)
            bindings.append(SecretBinding(variable, cred.name, field_name, secret.ref))
            values[keyword] = f"os.environ/{variable}"
    for field_name, keyword in route.config.items():
        if cred.config.get(field_name):
            values[keyword] = cred.config[field_name]
    if route.placeholder_key and "api_key" not in values:
        # else litellm's openai route sends OPENAI_API_KEY to this third-party server
        values["api_key"] = NO_KEY_PLACEHOLDER
    info: dict[str, Any] = {
        "provider": cred.provider,
        "custom_llm_provider": route.prefix.rstrip("/"),
    }
    if cred.display_name:
        info["display_name"] = cred.display_name
    if cred.description:
        info["description"] = cred.description
    return {"credential_name": cred.name, "credential_values": values, "credential_info": info}


def _model_entry(
    model: ModelState, credential: CredentialState | None, provider: Provider
) -> dict[str, Any]:
    params: dict[str, Any] = {"model": routed_model(provider.route, str(model.get("model_id")))}
    if credential is not None:
        params["litellm_credential_name"] = credential.name
        # the endpoint shows per model too (and in /model/info); the values are the credential's
        for field_name, keyword in provider.route.config.items():
            if credential.config.get(field_name):
                params[keyword] = credential.config[field_name]
    return {"model_name": model.slug, "litellm_params": params, "model_info": _model_info(model)}


def _model_info(model: ModelState) -> dict[str, Any]:
    info: dict[str, Any] = {"max_input_tokens": model.get("context_window")}
    if model.get("max_output_tokens") is not None:
        info["max_tokens"] = model.get("max_output_tokens")
        info["max_output_tokens"] = model.get("max_output_tokens")
    for key, path in (
        ("input_cost_per_token", "cost.input_per_token"),
        ("output_cost_per_token", "cost.output_per_token"),
    ):
        if model.get(path) is not None:
            info[key] = float(model.get(path))
    reasoning = model.get("capabilities.reasoning")
    info.update(
        {
            "supports_vision": bool(model.get("capabilities.vision")),
            "supports_function_calling": bool(model.get("capabilities.tool_use")),
            "supports_response_schema": bool(model.get("capabilities.json_mode")),
            "supports_reasoning": reasoning is not None,
            "display_name": model.get("display_name"),
        }
    )
    for key, value in (
        ("category", model.get("category")),
        ("reasoning_parameter", reasoning),
        ("description", model.get("description")),
    ):
        if value is not None:
            info[key] = value
    return info


def _aliases(
    desired: DesiredState, enabled: Mapping[str, ModelState], clashes: list[Clash]
) -> dict[str, Any]:
    aliases: dict[str, Any] = {}
    default = desired.settings.default_model if desired.settings else None
    if default in enabled:
        if DEFAULT_ALIAS in enabled:
            clashes.append(Clash(ClashKind.MODEL_NAMED_DEFAULT, model=DEFAULT_ALIAS))
        aliases[DEFAULT_ALIAS] = {"model": default, "hidden": True}
    for slug, model in enabled.items():
        for old in model.previous_slugs:
            if old == DEFAULT_ALIAS and DEFAULT_ALIAS in aliases:
                clashes.append(Clash(ClashKind.PREVIOUS_SLUG_DEFAULT, model=slug))
            elif old not in enabled:  # a slug taken again by a live model is that model's name
                aliases[old] = {"model": slug, "hidden": True}
    return dict(sorted(aliases.items(), key=lambda item: (item[0] != DEFAULT_ALIAS, item[0])))


def build_config(desired: DesiredState) -> LiteLLMConfig | Clashes:
    """The proxy config of a desired state (a validated catalog), or what clashes in it."""
    enabled = {
        slug: desired.models[slug]
        for slug in sorted(desired.models)
        if desired.models[slug].get("enabled")
    }
    platform_credential = desired.settings.platform_credential if desired.settings else None
    models: list[dict[str, Any]] = []
    used: dict[str, CredentialState] = {}
    for model in enabled.values():
        route = model_route(
            model.get("deployment"),
            model.get("provider"),
            model.get("credential"),
            platform_credential,
        )
        credential = desired.credentials.get(route.credential) if route.credential else None
        if credential is not None:
            used[credential.name] = credential
        models.append(_model_entry(model, credential, _record(route.provider)))
    bindings: list[SecretBinding] = []
    credentials = [_credential_entry(used[name], bindings) for name in sorted(used)]
    clashes = _variable_clashes(bindings)
    document: dict[str, Any] = {"model_list": models, "credential_list": credentials}
    aliases = _aliases(desired, enabled, clashes)
    if clashes:
        return Clashes(tuple(clashes))
    if aliases:
        document["router_settings"] = {"model_group_alias": aliases}
    document["general_settings"] = {
        "master_key": f"os.environ/{MASTER_KEY_ENV}",
        # the catalog is the one source of the model list: none added through the proxy's
        # UI or API (docs/litellm.md)
        "store_model_in_db": False,
    }
    return LiteLLMConfig(document, tuple(bindings))
