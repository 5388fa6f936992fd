"""Secrets from the environment of the process that applies."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from reconciler.plan.alerts import ReadFailure, SecretFailure
from reconciler.secrets.values import SecretValue


def resolve_env(
    names: Iterable[str], env: Mapping[str, str] | None = None
) -> tuple[dict[str, SecretValue], dict[str, SecretFailure]]:
    """Values by variable name, and errors by variable name (no value in any message)."""
    env = os.environ if env is None else env
    values: dict[str, SecretValue] = {}
    errors: dict[str, SecretFailure] = {}
    for name in names:
        value = env.get(name)
        if value is None or value == "":
            errors[name] = SecretFailure(
                ReadFailure.NOT_SET, f"environment variable {name} is not set"
            )
        else:
            values[name] = SecretValue(value)
    return values, errors
