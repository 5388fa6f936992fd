"""Fixtures shared by the apply tests."""

from __future__ import annotations

import pytest
from engine_helpers import secret_env


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh registry key and canary secret values in the environment."""
    values = secret_env()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
