"""Live state: what the registry holds, read with a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.state.records import (
    CredentialState,
    ModelState,
    SecretRefDict,
    SettingsState,
    applied_digest,
)


def _edited(managed: bool, applied: str | None, digest: Callable[[], str]) -> bool | None:
    """Rows the reconciler does not manage, or wrote before digests existed: cannot tell."""
    if not managed or applied is None:
        return None
    return digest() != applied


@dataclass(frozen=True)
class LiveSecret:
    ref: SecretRefDict
    fingerprint: str
    source_version: str | None
    preview: str
    key_id: str


@dataclass(frozen=True)
class LiveCredential:
    id: int
    state: CredentialState
    managed: bool
    secrets: Mapping[str, LiveSecret] = field(default_factory=dict)
    applied: str | None = None  # applied_digest stored with the row

    @property
    def edited(self) -> bool | None:
        """Whether the row changed since the reconciler wrote it (None: cannot tell)."""
        return _edited(self.managed, self.applied, lambda: applied_digest(self.state.fields()))


@dataclass(frozen=True)
class LiveModel:
    id: int
    state: ModelState
    managed: bool
    active: bool
    deactivated_at: datetime | None = None
    applied: str | None = None

    @property
    def edited(self) -> bool | None:
        return _edited(
            self.managed, self.applied, lambda: applied_digest(self.state.values, self.active)
        )


@dataclass(frozen=True)
class LiveSettings:
    state: SettingsState
    managed: bool
    applied: str | None = None

    @property
    def edited(self) -> bool | None:
        return _edited(self.managed, self.applied, lambda: applied_digest(self.state.fields()))


@dataclass(frozen=True)
class WorkflowRefs:
    """Active workflows that reference a model slug: how many, and the first names."""

    count: int
    names: tuple[str, ...]


@dataclass
class LiveState:
    credentials: dict[str, LiveCredential] = field(default_factory=dict)
    models: dict[str, LiveModel] = field(default_factory=dict)
    settings: LiveSettings | None = None
    workflow_refs: dict[str, WorkflowRefs] = field(default_factory=dict)
    revision: int = 0
    registry_id: str | None = None  # random per registry (migration 0004)
    # the environment the registry is bound to (None: not yet; '' the base catalog)
    environment: str | None = None
