"""Live state: what the registry holds, read with a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def _edited_fields(
    managed: bool, written: Mapping[str, Any] | None, values: Mapping[str, Any]
) -> frozenset[str] | None:
    """The fields whose value differs from what the reconciler wrote (None: it cannot tell,
    the row is not managed or was written before migration 0005 recorded values)."""
    if not managed or written is None:
        return None
    keys = {*values, *written}
    return frozenset(k for k in keys if values.get(k) != written.get(k))


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
    written: Mapping[str, Any] | None = None  # applied_values: what it wrote, by field

    @property
    def edited(self) -> bool | None:
        """Whether the row changed since the reconciler wrote it (None: cannot tell)."""
        if (fields := self.edited_fields) is not None:
            return bool(fields)
        return _edited(self.managed, self.applied, lambda: applied_digest(self.state.fields()))

    @property
    def edited_fields(self) -> frozenset[str] | None:
        return _edited_fields(self.managed, self.written, self.state.fields())


@dataclass(frozen=True)
class LiveModel:
    id: int
    state: ModelState
    managed: bool
    active: bool
    deactivated_at: datetime | None = None
    applied: str | None = None
    # what it wrote, by field; "active" is recorded only when it deactivated the row
    written: Mapping[str, Any] | None = None

    @property
    def edited(self) -> bool | None:
        if (fields := self.edited_fields) is not None:
            return bool(fields)
        return _edited(
            self.managed, self.applied, lambda: applied_digest(self.state.values, self.active)
        )

    @property
    def edited_fields(self) -> frozenset[str] | None:
        """Changed fields since the reconciler wrote the row; ``active`` when the application
        (de)activated it."""
        if not self.managed or self.written is None:
            return None
        values = {**self.state.values, "active": self.active}
        written = {"active": True, **self.written}
        return _edited_fields(True, written, values)


@dataclass(frozen=True)
class LiveSettings:
    state: SettingsState
    managed: bool
    applied: str | None = None
    written: Mapping[str, Any] | None = None

    @property
    def edited(self) -> bool | None:
        if (fields := self.edited_fields) is not None:
            return bool(fields)
        return _edited(self.managed, self.applied, lambda: applied_digest(self.state.fields()))

    @property
    def edited_fields(self) -> frozenset[str] | None:
        return _edited_fields(self.managed, self.written, self.state.fields())


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
    # the catalog digest of the last apply, read only when asked (drift): None when not asked
    # or never applied
    last_applied: str | None = None
