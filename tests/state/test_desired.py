"""The desired state: where the catalog defines each object is kept without the parsed
documents (at 100k models they were ~1.8 KB a model of plan's peak memory)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from engine_helpers import credential_doc, model_doc, write_catalog

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Location, Severity
from reconciler.state.desired import desired_state


def _catalog(root: Path) -> Path:
    unnamed = model_doc("unused")
    del unnamed["slug"]  # named by its display name: 'Model unused' -> model-unused
    write_catalog(
        root,
        [model_doc("a"), model_doc("b"), unnamed],
        [credential_doc("openai-main")],
        default_model="a",
    )
    overlay = root / "environments" / "staging"
    overlay.mkdir(parents=True)
    # b patched (the overlay names it), c added by the overlay
    (overlay / "patch.yaml").write_text(
        "kind: Model\nslug: b\ncontext_window: 2000\n---\n"
        + "\n".join(f"{k}: {v}" for k, v in model_doc("c").items() if k != "capabilities")
        + "\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize("environment", [None, "staging"])
def test_sources_survive_the_documents(tmp_path: Path, environment: str | None) -> None:
    """source() gives what the documents said (identity key's file, line and column), and
    the desired state holds none of the catalog's documents."""
    catalog = validate_catalog(_catalog(tmp_path / "cat"), environment)
    assert not [d for d in catalog.diagnostics if d.severity is Severity.ERROR]
    keys = {"model": "slug", "credential": "name", "settings": "kind"}
    expected: dict[tuple[str, str], Location] = {}
    docs = []
    for kind, entries in (
        ("model", catalog.models),
        ("credential", catalog.credentials),
        ("settings", catalog.settings),
    ):
        for entry in entries:
            docs.append(weakref.ref(entry.doc))
            data = entry.doc.data
            name = "display_name" if kind == "model" and "slug" not in data else keys[kind]
            key = "settings" if kind == "settings" else data.get("slug", data.get(name))
            if key == "Model unused":
                key = "model-unused"
            line, column = entry.doc.locate([name], key=True)
            expected[kind, key] = Location(entry.doc.origin([name]), line, column)
    desired = desired_state(catalog)
    del catalog, entries, entry
    gc.collect()
    assert [ref for ref in docs if ref() is not None] == []
    assert {k: desired.source(*k) for k in expected} == expected
    assert desired.source("model", "no-such") is None
    base = str(tmp_path / "cat" / "models.yaml")
    # models.yaml: documents of 7 lines, each after the first led by '---'
    assert desired.source("model", "model-unused") == Location(base, 18, 1)
    patch = str(tmp_path / "cat" / "environments" / "staging" / "patch.yaml")
    if environment:
        assert desired.source("model", "b") == Location(patch, 2, 1)
        assert desired.source("model", "c") == Location(patch, 7, 1)
    else:
        assert desired.source("model", "b") == Location(base, 11, 1)
        assert desired.source("model", "c") is None
