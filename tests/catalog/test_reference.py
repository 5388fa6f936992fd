"""docs/catalog-reference.md is generated from the schemas and kept in sync."""

from __future__ import annotations

from pathlib import Path

from reconciler.catalog.reference import generate
from reconciler.catalog.schema import published

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "catalog-reference.md"


def test_catalog_reference_is_up_to_date() -> None:
    assert DOC.read_text("utf-8") == generate(), (
        "docs/catalog-reference.md is stale: run "
        "`python -m reconciler.catalog.reference docs/catalog-reference.md` and commit it"
    )


def test_every_field_of_every_kind_is_documented() -> None:
    text = generate()
    for schema in published().values():
        for part in [schema, *schema.get("$defs", {}).values()]:
            for name in part.get("properties", {}):
                assert f"| `{name}` |" in text, name
    assert "## Model (`model.schema.json`)" in text
    assert "`context_window` | integer | yes |" in text
