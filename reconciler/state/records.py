"""Records both sides of a diff share. Field names are the catalog's dotted paths, so the
plan speaks the language of the YAML files (``capabilities.vision``, ``cost.input_per_token``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SecretRefDict = Mapping[str, Any]


def ref_key(ref: SecretRefDict) -> str:
    """Canonical text of a secret reference (not a secret): used for equality and grouping."""
    return json.dumps(ref, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class SecretSpec:
    """A desired secret: where it comes from, plus what the plan could learn about it.

    ``fingerprint`` is the keyed HMAC of the value (known when the value was resolved);
    ``source_version`` identifies the value in its source without reading it (the digest of
    its SOPS ciphertext, or the AWS version id). Either may be None.
    """

    ref: SecretRefDict
    fingerprint: str | None = None
    source_version: str | None = None


@dataclass(frozen=True)
class CredentialState:
    name: str
    provider: str
    display_name: str | None = None
    description: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, SecretSpec] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """Comparable plain fields (secrets are compared separately)."""
        out: dict[str, Any] = {
            "provider": self.provider,
            "display_name": self.display_name,
            "description": self.description,
        }
        out.update(self.config)
        return out


# Model fields in catalog order: (dotted catalog path, registry column).
MODEL_FIELDS: tuple[tuple[str, str], ...] = (
    ("display_name", "display_name"),
    ("description", "description"),
    ("deployment", "deployment"),
    ("provider", "provider"),
    ("model_id", "model_id"),
    ("credential", "credential_id"),
    ("category", "category"),
    ("release_date", "release_date"),
    ("context_window", "context_window"),
    ("max_output_tokens", "max_output_tokens"),
    ("capabilities.json_mode", "supports_json_mode"),
    ("capabilities.vision", "supports_vision"),
    ("capabilities.tool_use", "supports_tool_use"),
    ("capabilities.reasoning", "reasoning_parameter"),
    ("cost.input_per_token", "input_cost_per_token"),
    ("cost.output_per_token", "output_cost_per_token"),
    ("enabled", "enabled"),
)
COST_FIELDS = frozenset({"cost.input_per_token", "cost.output_per_token"})
# Fields whose None is a value, not an absence, with the catalog value it stands for: a plan
# shows and creates them as that value (``reasoning: false``), never as "none" or not at all.
NONE_MEANS: Mapping[str, Any] = {"capabilities.reasoning": False}


@dataclass(frozen=True)
class ModelState:
    """A model as the registry holds it. ``values`` maps every MODEL_FIELDS path to its value;
    ``capabilities.reasoning`` is None (off) or the parameter shape; ``credential`` is a name."""

    slug: str
    values: Mapping[str, Any]
    previous_slugs: tuple[str, ...] = ()

    def get(self, path: str) -> Any:
        return self.values.get(path)

    @cached_property
    def digest(self) -> str:
        """``applied_digest`` of the active model: computed once, for the plan signature and
        the row the writer stores."""
        return applied_digest(self.values)


@dataclass(frozen=True)
class SettingsState:
    default_model: str | None = None
    platform_credential: str | None = None

    def fields(self) -> dict[str, Any]:
        return {
            "default_model": self.default_model,
            "platform_credential": self.platform_credential,
        }


# One encoder for every row: json.dumps would build a new one per call.
_DIGEST_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def applied_digest(values: Mapping[str, Any], active: bool = True) -> str:
    """Digest of a row's values as the reconciler wrote them (stored with the row). A live row
    whose values no longer hash to it was edited outside the reconciler since. Both sides hold
    the same types per field (ints for integer columns, floats for costs), as the diff needs."""
    text = _DIGEST_ENCODER.encode([values, active])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
