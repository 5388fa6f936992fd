"""scripts/plan_comment_screenshot.py: the page it photographs is the comment as GitHub
renders it (the Chromium step itself runs only when the script is run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "plan_comment_screenshot.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plan_comment_screenshot", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_page_is_the_comment_as_github_renders_it(script: ModuleType) -> None:
    from reconciler.render.plan_markdown import render_markdown

    page = script.comment_html(render_markdown(script.sample_plan()))
    assert "width: 760px" in page
    # no alert left as quoted "[!NOTE]" text
    assert "[!" not in page
    # status, counts, existing rows, renames, new rows, and the three new rows' field tables
    assert page.count("<table>") == 8
    assert '<td align="center">❌</td>' in page  # the breaking row of the status table
    assert "input $2.00 → $1.50 /1M (−25%)" in page
    assert "<details>" in page
