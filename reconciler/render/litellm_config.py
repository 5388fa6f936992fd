"""The LiteLLM proxy ``config.yaml`` as text, and the words of what keeps it from being rendered.

The document itself (models, credentials, aliases, the secret bindings) and its clashes are
built by reconciler.litellm.config; this module only writes the header and the YAML, and words
a clash as the CatalogError the user sees.
"""

from __future__ import annotations

import yaml

from reconciler.errors import CatalogError
from reconciler.litellm.config import (
    DEFAULT_ALIAS,
    ENV_PREFIX,
    MASTER_KEY_ENV,
    Clash,
    Clashes,
    ClashKind,
    LiteLLMConfig,
    build_config,
)
from reconciler.state.desired import DesiredState
from reconciler.words import plural

HEADER = (
    "# LiteLLM proxy config rendered by `reconciler litellm-config` from the catalog.\n"
    "# Do not edit: change the catalog and render it again. Secrets are os.environ/ references.\n"
)


def config_text(config: LiteLLMConfig) -> str:
    """The file the proxy reads: the header, then the document as YAML (in document order)."""
    return HEADER + yaml.safe_dump(
        config.document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000
    )


def _secret(clash: Clash, index: int) -> str:
    named = clash.secrets[index]
    return f"credential {named.credential}, {named.field}"


def clash_error(clash: Clash) -> CatalogError:
    """What clashes, and what to do."""
    match clash.kind:
        case ClashKind.RESERVED_VARIABLE:
            return CatalogError(
                f"{_secret(clash, 0)}: the LiteLLM config reserves {MASTER_KEY_ENV} for the "
                "proxy's master key",
                hint="read this secret from another environment variable",
            )
        case ClashKind.SHARED_VARIABLE:
            return CatalogError(
                f"{_secret(clash, 0)} and {_secret(clash, 1)} would both reach the LiteLLM "
                f"proxy as {clash.variable}",
                hint="rename one of the credentials or change the env reference (SOPS and AWS "
                f"secrets are passed as {ENV_PREFIX}<CREDENTIAL>_<FIELD>)",
            )
        case ClashKind.MODEL_NAMED_DEFAULT:
            return CatalogError(
                f"model {DEFAULT_ALIAS} clashes with the LiteLLM alias '{DEFAULT_ALIAS}' for the "
                "default model",
                hint="give the model another slug",
            )
        case ClashKind.PREVIOUS_SLUG_DEFAULT:
            return CatalogError(
                f"model {clash.model}: its previous slug '{DEFAULT_ALIAS}' clashes with the "
                f"LiteLLM alias '{DEFAULT_ALIAS}' for the default model",
                hint=f"remove '{DEFAULT_ALIAS}' from its previous_slugs",
            )


def clashes_error(found: Clashes) -> CatalogError:
    """Every clash, in the order found (the variables' before the aliases'): one is its own
    error; several are one error listing each with its hint, so one run shows them all."""
    if len(found.clashes) == 1:
        return clash_error(found.clashes[0])
    lines = []
    for clash in found.clashes:
        error = clash_error(clash)
        lines.append(f"\n  {error.message}\n    hint: {error.hint}")
    return CatalogError(
        f"the catalog cannot be rendered as a LiteLLM config: "
        f"{plural(len(found.clashes), 'clash', 'clashes')}:" + "".join(lines),
        hint="fix each of them and render again",
    )


def checked_config(desired: DesiredState) -> LiteLLMConfig:
    """The config of a desired state; a clash is a CatalogError in words."""
    built = build_config(desired)
    if isinstance(built, Clashes):
        raise clashes_error(built)
    return built


def render_litellm_config(desired: DesiredState) -> str:
    """The proxy config file of a desired state (a validated catalog)."""
    return config_text(checked_config(desired))
