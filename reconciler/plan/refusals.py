"""Why apply refuses a plan, as data: a saved plan made with other options, for another
environment or registry, or stale; a registry bound to another environment; a plan already
applied. reconciler.render.apply chooses the words (and the error they raise as)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class OptionsDiffer:
    """Flags given to ``apply PLANFILE`` that ask for other options than the plan was made
    with (``differ``), and the flags a new plan would need (``wanted``)."""

    planfile: str
    catalog_dir: str
    differ: tuple[str, ...]
    wanted: tuple[str, ...]


@dataclass(frozen=True)
class OtherEnvironment:
    """A saved plan for ``planned`` applied as ``asked`` ("" is the base catalog)."""

    planfile: str
    planned: str
    asked: str


@dataclass(frozen=True)
class OtherRegistry:
    """A saved plan made against registry ``planned``, applied to ``actual``."""

    planned: str | None
    actual: str | None


class Purpose(enum.Enum):
    """What the registry was read for when its binding refused it: what to do differs. Only
    apply can re-bind; the read-only commands are pointed at the right registry instead."""

    APPLY = "apply"
    LIST = "models"
    EXPORT = "export"
    TEST_CHANGED = "test-connection --changed"
    DRIFT = "drift"


@dataclass(frozen=True)
class BoundElsewhere:
    """The registry is bound to ``bound``; the catalog (or ``--environment``) is
    ``environment``'s; ``purpose``: the command that refuses it."""

    bound: str
    environment: str
    purpose: Purpose = Purpose.APPLY


@dataclass(frozen=True)
class BoundUnnamed:
    """Not a refusal, a note: a read-only command without ``--environment`` read a registry
    bound to environment ``bound`` (never the base, ""), so nothing checked it is the one
    meant; ``purpose``: the command reading it."""

    bound: str
    purpose: Purpose


@dataclass(frozen=True)
class StaleCatalog:
    catalog_dir: str


@dataclass(frozen=True)
class StaleRegistry:
    before: int
    after: int


@dataclass(frozen=True)
class StaleSecrets:
    names: tuple[str, ...]


@dataclass(frozen=True)
class StaleChanges:
    """Applying now would make other changes than the plan shows."""


@dataclass(frozen=True)
class AlreadyApplied:
    run: int
    revision: int


@dataclass(frozen=True)
class NeedsConfirmation:
    """A plain apply with changes, no --auto-approve and nobody to ask."""


Refusal = (
    OptionsDiffer
    | OtherEnvironment
    | OtherRegistry
    | BoundElsewhere
    | StaleCatalog
    | StaleRegistry
    | StaleSecrets
    | StaleChanges
    | AlreadyApplied
    | NeedsConfirmation
)
