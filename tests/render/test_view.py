"""The format-neutral view of a plan (reconciler.render.view)."""

from __future__ import annotations

import pytest

from reconciler.plan.model import Action, Change, CreatedFields, Kind, Plan
from reconciler.render.plan import render_plan
from reconciler.render.view import change_title, created_secrets, describe_create
from reconciler.state.records import MODEL_FIELDS, ModelState


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


def _created_model(**values: object) -> ModelState:
    base: dict[str, object] = {path: None for path, _column in MODEL_FIELDS}
    base.update(values)
    return ModelState("m", base)


CREATED = [
    _created_model(
        provider="openai",
        model_id="gpt-5.5",
        deployment="platform",
        credential="prod\x1b[31m",
        category="premium",
        enabled=False,
        context_window=128000,
    ),
    _created_model(provider="anthropic", deployment="custom", enabled=True),
    _created_model(model_id="anthropic/claude", provider="anthropic"),
    # a field named like a secret is shown as one even unmarked (defence in depth)
    ModelState("m", {"provider": "openai", "extra.api_key": "sk-canary", "enabled": True}),
]


@pytest.mark.parametrize("model", CREATED)
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_created_model_renders_as_the_same_fields_in_a_dict(model: ModelState, fmt: str) -> None:
    """The renderers read a created model's lazy fields (CreatedFields) by shortcuts; the
    result must be what the same field changes in a plain dict give."""
    lazy = Change(Action.CREATE, Kind.MODEL, "m", CreatedFields(model))
    eager = Change(Action.CREATE, Kind.MODEL, "m", dict(CreatedFields(model)))
    assert describe_create(lazy) == describe_create(eager)
    assert created_secrets(lazy) == created_secrets(eager)
    text = render_plan(Plan(changes=[lazy]), fmt)
    assert text == render_plan(Plan(changes=[eager]), fmt)
    assert "sk-canary" not in text


def test_a_secret_named_field_of_a_created_model_is_sensitive() -> None:
    change = Change(Action.CREATE, Kind.MODEL, "m", CreatedFields(CREATED[-1]))
    assert [path for path, _fc in created_secrets(change)] == ["extra.api_key"]
    assert describe_create(change) == "openai"
