"""Names the application wrote into the registry (model slugs and display names, workflow
names) are untrusted: every text output shows their control characters (ESC, CR, LF, bidi
overrides) escaped, so a registry row cannot recolour or clear a terminal, or forge a line
such as a fake "Apply complete"."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import apply, cli, insert_app_model, insert_workflows, model_doc, write_catalog

FORGED = "Apply complete: 99 created"
HOSTILE = f"x\x1b[31mred\x1b[2J\rcr\u202eflip\n{FORGED}"
RAW = ("\x1b", "\r", "\u202e")


def assert_inert(output: str) -> None:
    for ch in RAW:
        assert ch not in output, repr(output)
    # the forged text may show, escaped, inside a line; it never starts one
    assert not any(line.lstrip(" !x?│").startswith(FORGED) for line in output.splitlines()), output


@pytest.fixture
def catalog(tmp_path: Path, registry_url: str) -> Path:
    root = write_catalog(tmp_path / "catalog", [model_doc("keep"), model_doc("gone")])
    assert apply(registry_url, root).exit_code == 0
    insert_workflows(registry_url, [(HOSTILE, "gone")])
    insert_app_model(registry_url, HOSTILE, display_name=HOSTILE, model_id=HOSTILE)
    insert_app_model(registry_url, "markup", display_name="[bold red]loud[/] :fire:")
    return write_catalog(root, [model_doc("keep")])


def test_models_table_escapes_registry_names(registry_url: str, catalog: Path) -> None:
    result = cli(["models", "--db", registry_url])
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    assert "\\u001b[31mred" in result.output
    assert "[bold red]loud[/] :fire:" in result.output  # rich markup shown as written


def test_text_plan_and_apply_escape_workflow_names(registry_url: str, catalog: Path) -> None:
    result = cli(["plan", "--catalog", str(catalog), "--db", registry_url])
    assert_inert(result.output)
    assert "\\n" + FORGED in result.output
    markdown = cli(
        ["plan", "--catalog", str(catalog), "--db", registry_url, "--format", "markdown"]
    )
    assert "\\u001b" in markdown.output, markdown.output
    assert_inert(markdown.output)
    result = apply(registry_url, catalog, "--allow-breaking")
    assert result.exit_code == 0, result.output
    assert_inert(result.output)


def test_drift_escapes_unmanaged_and_workflow_names(registry_url: str, catalog: Path) -> None:
    result = cli(["drift", "--catalog", str(catalog), "--db", registry_url])
    assert_inert(result.output)
    assert "\\n" + FORGED in result.output


def test_export_listing_escapes_names(registry_url: str, catalog: Path, tmp_path: Path) -> None:
    result = cli(["export", "--db", registry_url, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
