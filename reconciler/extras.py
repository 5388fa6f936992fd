"""Optional dependencies: which extra brings which module, and one error when it is missing.

The core install leaves litellm (lint, new, test-connection) and boto3 (AWS Secrets Manager)
out. Commands that need them call :func:`require` before importing, so a core install tells
the user the exact ``pip install`` instead of failing with an ImportError.
"""

from __future__ import annotations

import importlib.util

from reconciler.errors import ReconcilerError

DISTRIBUTION = "llm-registry-reconciler"
# extra -> the top-level modules it installs that our code imports
EXTRAS: dict[str, tuple[str, ...]] = {
    "litellm": ("litellm",),
    "aws": ("boto3", "botocore"),
}


class MissingExtraError(ReconcilerError):
    """An optional dependency is not installed; the hint is the command that installs it."""

    def __init__(self, needed_for: str, module: str, extra: str) -> None:
        super().__init__(
            f"{needed_for} needs {module}, which the core install leaves out",
            hint=install_command(extra),
        )
        self.extra = extra
        self.module = module


def install_command(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def missing(extra: str) -> str | None:
    """The first module of ``extra`` that is not installed, or None (never imports it)."""
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            return module
    return None


def require(extra: str, needed_for: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` is installed."""
    module = missing(extra)
    if module is not None:
        raise MissingExtraError(needed_for, module, extra)
