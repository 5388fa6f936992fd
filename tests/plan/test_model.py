"""Plan data: the lazily built field changes of a created model."""

from __future__ import annotations

import pytest

from reconciler.plan.model import CreatedFields, FieldChange
from reconciler.state.records import ModelState


def _created() -> CreatedFields:
    values = {"display_name": "M", "description": None, "context_window": 128000}
    return CreatedFields(ModelState("m", values))


def test_created_fields_are_the_non_null_values_from_nothing() -> None:
    fields = _created()
    expected = {
        "display_name": FieldChange(None, "M"),
        "context_window": FieldChange(None, 128000),
    }
    assert fields == expected
    assert expected == fields
    assert dict(fields) == expected
    assert list(fields) == ["display_name", "context_window"]  # catalog order is kept
    assert len(fields) == 2


def test_a_null_or_missing_field_is_absent() -> None:
    fields = _created()
    assert "description" not in fields
    assert fields.get("description") is None
    with pytest.raises(KeyError):
        fields["description"]
    with pytest.raises(KeyError):
        fields["nope"]


def test_repr_shows_the_changes() -> None:
    assert "FieldChange(before=None, after='M'" in repr(_created())


def test_items_and_values_are_those_of_the_mapping() -> None:
    values = {"display_name": "M", "description": None, "capabilities.reasoning": None}
    fields = CreatedFields(ModelState("m", values))
    expected = [
        ("display_name", FieldChange(None, "M")),
        ("capabilities.reasoning", FieldChange(None, None)),  # a null that is a value
    ]
    assert list(fields.items()) == expected
    assert list(fields.values()) == [fc for _path, fc in expected]
    assert [(path, fields[path]) for path in fields] == expected
    assert ("display_name", FieldChange(None, "M")) in fields.items()
    assert ("description", FieldChange(None, None)) not in fields.items()
    assert all(type(fc) is FieldChange and fc.secret is None for fc in fields.values())
