"""What a test does when something it needs is not here: skip with the reason, or fail under
CI=true, where everything the suite needs is installed and running."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str, hint: str) -> NoReturn:
    """Fail under CI=true; elsewhere skip, saying ``hint`` (how to get it)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (mandatory when CI=true)")
    pytest.skip(f"{message} ({hint})")
