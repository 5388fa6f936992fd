"""One error root; the CLI maps each kind to an exit code and prints it without a traceback.

Messages must never contain secret values: they are shown to users and may be logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.diagnostics import Diagnostic


class ReconcilerError(Exception):
    """A failure the user can act on. ``hint`` says what to do."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class CatalogError(ReconcilerError):
    """The catalog could not be loaded or is invalid."""


class CatalogInvalidError(CatalogError):
    """The catalog failed validation; ``diagnostics`` holds every error (the message shows
    the first few), for renderers that give them as data."""

    def __init__(
        self, message: str, *, diagnostics: Sequence[Diagnostic], hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.diagnostics = tuple(diagnostics)


class DatabaseError(ReconcilerError):
    """The registry database is unreachable, unmigrated or refused a write."""


class PlanError(ReconcilerError):
    """The plan cannot be made or is refused (ownership, guards, stale plan)."""


class LockTimeoutError(ReconcilerError):
    """Another apply holds the registry lock."""


class SecretError(ReconcilerError):
    """A secret could not be resolved, encrypted or decrypted."""


class ProviderError(ReconcilerError):
    """A provider call failed."""


class OutputError(ReconcilerError):
    """A file the user asked for could not be written (missing directory, full disk)."""


class UnsafeDestinationError(OutputError):
    """The secrets file would land somewhere a secret must not go (stdout, a terminal, a file
    git would commit, the catalog); nothing was written."""
