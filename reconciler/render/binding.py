"""The note of a read-only command run without --environment on a registry bound to an
environment (reconciler.plan.refusals.BoundUnnamed). Light: models and export import it."""

from __future__ import annotations

from reconciler.plan.refusals import BoundUnnamed, Purpose

# what the command read: the environment's, not the base catalog's
_READ = {
    Purpose.LIST: "its models are that environment's",
    Purpose.EXPORT: "the exported catalog is that environment's, not the base catalog's",
}


def bound_unnamed(note: BoundUnnamed) -> str:
    """``note: this registry is bound to environment 'staging'; ...`` (one line)."""
    return (
        f"note: this registry is bound to environment '{note.bound}'; {_READ[note.purpose]} "
        f"(pass --environment {note.bound} to check it is the registry you meant)\n"
    )
