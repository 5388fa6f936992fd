"""Find a catalog model in litellm's model data (``litellm.model_cost``).

``model_cost()`` reads that data from the JSON file bundled inside the installed litellm
package without importing litellm (its import takes seconds; lint only needs the table).
Keys are tried in order; a key only counts when litellm files it under a provider that fits
the catalog's provider (``gpt-4o`` is not an Anthropic model just because the ID matches).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.catalog import spec
from reconciler.errors import ReconcilerError
from reconciler.extras import require
from reconciler.providers.table import OPENROUTER_VENDORS, PLATFORM_PROVIDER, PROVIDERS

ModelCost = Mapping[str, Mapping[str, Any]]

# the file litellm itself loads when LITELLM_LOCAL_MODEL_COST_MAP is set
BUNDLED_FILE = "model_prices_and_context_window_backup.json"
# a block of the file that is not a model entry (litellm pops it too)
_NOT_MODELS = frozenset({"fallback_generalizations"})


class ModelDataMissing(ReconcilerError):
    """litellm (and so its bundled model data) is not installed."""

    def __init__(self) -> None:
        super().__init__(
            f"litellm's model data ({BUNDLED_FILE}) was not found",
            hint="install the litellm package; lint reads the model data it ships",
        )


def bundled_model_data_path() -> str:
    """Path of litellm's bundled model data; finding it does not run ``litellm/__init__``."""
    found = importlib.util.find_spec("litellm")
    locations = None if found is None else found.submodule_search_locations
    for location in locations or ():
        path = os.path.join(location, BUNDLED_FILE)
        if os.path.isfile(path):
            return path
    raise ModelDataMissing


@functools.cache
def model_cost() -> ModelCost:
    """litellm's bundled model data keyed as ``litellm.model_cost`` is (never downloaded);
    MissingExtraError on a core install."""
    require("litellm", "litellm's model data")
    return read_model_data(bundled_model_data_path())


def read_model_data(path: str) -> ModelCost:
    """A model data file as litellm serves it: rows that only point at another row
    (``alias_of``) are served as that row, and names in an ``aliases`` list are added."""
    with open(path, "rb") as fh:
        raw: dict[str, Any] = json.load(fh)
    table = {
        key: entry
        for key, entry in raw.items()
        if key not in _NOT_MODELS and isinstance(entry, dict) and "alias_of" not in entry
    }
    for key, entry in raw.items():
        target = entry.get("alias_of") if isinstance(entry, dict) else None
        if isinstance(target, str) and target in table:
            table.setdefault(key, table[target])
    for entry in list(table.values()):
        aliases = entry.pop("aliases", None)
        for alias in aliases if isinstance(aliases, list) else ():
            if isinstance(alias, str):
                table.setdefault(alias, entry)
    return table


# custom provider -> (litellm key prefixes to try, litellm providers that count); providers
# without prefixes (self-hosted) are ones litellm knows nothing reliable about.
CUSTOM_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    name: (p.lint_prefixes, p.route.litellm_providers)
    for name, p in PROVIDERS.items()
    if p.lint_prefixes
}


@dataclass(frozen=True)
class ModelInfo:
    key: str
    data: Mapping[str, Any]
    # found under the base model of an OpenRouter ':free' variant, whose prices do not apply
    free_variant: bool = False

    def get_bool(self, name: str) -> bool | None:
        value = self.data.get(name)
        return value if isinstance(value, bool) else None

    def get_int(self, name: str) -> int | None:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return None
        return int(value)

    def get_price(self, name: str) -> float | None:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return None
        return float(value)


def _variants(model_id: str, *, openrouter: bool = False) -> list[str]:
    """The ID as written; for OpenRouter IDs also without a variant suffix (``:free``); and
    with dots as dashes (OpenRouter writes ``claude-opus-4.8``, Anthropic ``claude-opus-4-8``)."""
    out = [model_id]
    base = model_id.split(":", 1)[0] if openrouter else model_id
    for candidate in (base, base.replace(".", "-")):
        if candidate not in out:
            out.append(candidate)
    return out


def _via_openrouter(model: spec.ModelSpec) -> bool:
    return model.deployment == "platform" or model.provider == PLATFORM_PROVIDER


def candidates(model: spec.ModelSpec) -> list[tuple[str, tuple[str, ...]]]:
    """(litellm key, providers that count) in the order they are tried; empty when litellm
    cannot know the model."""
    out: list[tuple[str, tuple[str, ...]]] = []
    model_id = model.model_id
    if _via_openrouter(model):
        out.append(("openrouter/" + model_id, ("openrouter",)))
        vendor, _, rest = model_id.partition("/")
        route = OPENROUTER_VENDORS.get(vendor)
        if rest and route is not None:
            prefix, providers = route
            out.extend((prefix + v, providers) for v in _variants(rest, openrouter=True))
        return out
    if model.provider not in CUSTOM_KEYS:
        return out
    prefixes, providers = CUSTOM_KEYS[model.provider]
    for variant in _variants(model_id):
        for prefix in prefixes:
            key = variant if variant.startswith(prefix) else prefix + variant
            if (key, providers) not in out:
                out.append((key, providers))
    return out


def lookup(model: spec.ModelSpec, model_cost: ModelCost) -> tuple[ModelInfo | None, list[str]]:
    """litellm's entry for the model, and the keys that were tried."""
    tried: list[str] = []
    free = _via_openrouter(model) and model.model_id.partition(":")[2] == "free"
    for key, providers in candidates(model):
        tried.append(key)
        data = model_cost.get(key)
        if data is not None and data.get("litellm_provider") in providers:
            return ModelInfo(key, data, free_variant=free and ":free" not in key), tried
    return None, tried
