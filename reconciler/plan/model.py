"""Plan data: ordered changes with field-level before/after, and typed alerts (warnings,
notes, errors, guards: reconciler.plan.alerts)."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from reconciler.plan.alerts import Alert, Guard
from reconciler.plan.fixes import Fix
from reconciler.state.records import NONE_MEANS, ModelState


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RENAME = "rename"
    REACTIVATE = "reactivate"
    DEACTIVATE = "deactivate"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.RENAME: ">",
    Action.REACTIVATE: "+",
    Action.DEACTIVATE: "-",
    Action.DELETE: "-",
}
ACTIONS: tuple[Action, ...] = tuple(Action)


@dataclass(frozen=True)
class DiffOptions:
    """How a plan is made (and a saved plan applied): ``adopt`` takes over unmanaged rows the
    catalog names; ``prune`` deactivates and deletes what left the catalog."""

    adopt: bool = False
    prune: bool = True


class Kind(enum.StrEnum):
    CREDENTIAL = "credential"
    MODEL = "model"
    SETTINGS = "settings"


class SecretStatus(enum.StrEnum):
    """What a plan knows about a secret field; never the value."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    UNKNOWN = "unknown"
    REMOVED = "removed"


class RefChange(NamedTuple):
    """A secret whose reference changed: both references as ``describe_ref`` writes them
    (never values) and what is known about the value behind them (``changed``, ``unchanged``
    or ``unknown``: values were not read, and source versions of different references cannot
    be compared)."""

    before: str
    after: str
    value: SecretStatus


class FieldChange(NamedTuple):
    """One field's before and after. For a secret both are None and ``secret`` says what is
    known (``ref`` is set when its reference changed). A tuple, not a dataclass: big plans hold
    ~20 per created model, and tuples of plain values are cheap to build and drop out of the
    cyclic GC's scans."""

    before: Any
    after: Any
    secret: SecretStatus | None = None
    ref: RefChange | None = None


class CreatedFields(Mapping[str, FieldChange]):
    """A created model's field changes (each value, from nothing), built when read.
    Big plans are mostly creates, and under the apply lock nothing reads these: the writer
    takes the model's values and the plan signature its digest."""

    __slots__ = ("model",)

    def __init__(self, model: ModelState) -> None:
        self.model = model

    def __getitem__(self, path: str) -> FieldChange:
        value = self.model.values[path]
        if value is None and path not in NONE_MEANS:
            raise KeyError(path)
        return _created(value)

    def __iter__(self) -> Iterator[str]:
        # a null that is a value (reasoning off) is set too
        values = self.model.values.items()
        return (path for path, value in values if value is not None or path in NONE_MEANS)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"CreatedFields({dict(self)!r})"

    # The renderers walk every field of 10,000 creates (description, secrets, counts): the
    # views read the values once, not through __iter__ then __getitem__ per field.
    def items(self) -> ItemsView[str, FieldChange]:
        return _CreatedItems(self)

    def values(self) -> ValuesView[FieldChange]:
        return _CreatedValues(self)

    def _pairs(self) -> Iterator[tuple[str, FieldChange]]:
        for path, value in self.model.values.items():
            if value is not None or path in NONE_MEANS:
                yield path, _created(value)


def _created(value: Any) -> FieldChange:
    """``FieldChange(None, value)`` without the Python-level ``__new__`` of a NamedTuple
    with defaults (called for every field of every created model a renderer reads)."""
    return tuple.__new__(FieldChange, (None, value, None, None))


class _CreatedItems(ItemsView[str, FieldChange]):
    _mapping: CreatedFields

    def __iter__(self) -> Iterator[tuple[str, FieldChange]]:
        return self._mapping._pairs()


class _CreatedValues(ValuesView[FieldChange]):
    _mapping: CreatedFields

    def __iter__(self) -> Iterator[FieldChange]:
        return (change for _path, change in self._mapping._pairs())


@dataclass(frozen=True)
class Change:
    action: Action
    kind: Kind
    key: str
    fields: Mapping[str, FieldChange] = field(default_factory=dict)
    warnings: tuple[Alert, ...] = ()
    previous_key: str | None = None  # the old slug of a rename
    adopt: bool = False  # takes over a row the reconciler did not create
    breaking: bool = False  # deactivates/disables a model that active workflows use
    fixes: tuple[Fix, ...] = ()  # how the catalog could avoid a breaking change, when inferred
    # a rename whose old slug the LiteLLM config keeps as an alias (the model stays enabled);
    # the registry itself resolves only the new slug
    litellm_alias: bool = False


@dataclass(frozen=True)
class Database:
    """Where the registry is, as a reviewer may see it: never the user, password or query
    options of its URL (``backend`` ``postgresql`` or ``sqlite``; ``name`` the database, or
    the file of a SQLite registry)."""

    backend: str
    host: str | None = None
    port: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Target:
    """What a plan was made for, beyond its environment: the registry database, the catalog
    commit (None when unknown; ``uncommitted`` when the catalog differs from it) and the
    reconciler version that planned."""

    database: Database | None = None
    commit: str | None = None
    uncommitted: bool = False
    version: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    errors: list[Alert] = field(default_factory=list)  # block the plan outright
    guards: list[Guard] = field(default_factory=list)
    notes: list[Alert] = field(default_factory=list)  # e.g. secrets compared by source version
    catalog_digest: str = ""
    environment: str = ""  # whose catalog was planned ('' for the base catalog)
    # the base catalog was planned and the catalog has environments (renderers name the base)
    base_of_environments: bool = False
    # set by 'compare': the two environments compared ('' the base), from and to
    compared: tuple[str, str] | None = None
    revision: int = 0
    registry_id: str | None = None  # the registry the plan was made against
    # What the plan knew about each secret's value ("credential.field" -> status), whether or
    # not it changes; secrets it could not tell about are absent. Never values.
    secrets: dict[str, SecretStatus] = field(default_factory=dict)
    target: Target | None = None  # set by the command that planned (the diff cannot know it)

    def summary(self) -> dict[str, int]:
        counts = Counter(c.action.value for c in self.changes)
        return {a.value: counts.get(a.value, 0) for a in ACTIONS}

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def refused_by(self, allowed_flags: set[str]) -> list[Guard]:
        return [g for g in self.guards if g.flag not in allowed_flags]


_REMOVALS = (Action.DEACTIVATE, Action.DELETE)


def apply_step(change: Change) -> int:
    """The change's step in apply order (reconciler.diff.order): 1 credentials created or
    updated, 2 models, 3 settings, 4 models deactivated, 5 credentials deleted."""
    if change.action in _REMOVALS:
        return 5 if change.kind is Kind.CREDENTIAL else 4
    return {Kind.CREDENTIAL: 1, Kind.MODEL: 2, Kind.SETTINGS: 3}[change.kind]
