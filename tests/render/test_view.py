"""The format-neutral view of a plan (reconciler.render.view)."""

from __future__ import annotations

import pytest

from reconciler.plan.model import Action, Change, Kind
from reconciler.render.view import change_title


@pytest.mark.parametrize(
    ("change", "text", "markdown"),
    [
        (Change(Action.UPDATE, Kind.MODEL, "gpt-4o"), "model gpt-4o", "model gpt-4o"),
        (
            Change(Action.RENAME, Kind.MODEL, "new", previous_key="old"),
            "model old -> new",
            "model old → new",
        ),
        (Change(Action.UPDATE, Kind.SETTINGS, "settings"), "settings", "settings"),
        (Change(Action.DELETE, Kind.CREDENTIAL, "c"), "credential c", "credential c"),
    ],
)
def test_one_title_per_change_each_format_its_arrow(
    change: Change, text: str, markdown: str
) -> None:
    assert change_title(change) == text
    assert change_title(change, "→") == markdown
