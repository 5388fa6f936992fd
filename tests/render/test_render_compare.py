"""compare's words: an object only one environment defines is "only in" it, never a plan's
"deactivate" or "create"; fields that differ show both sides, secrets as references only.
Goldens in golden/compare.*; UPDATE_GOLDENS=1 rewrites them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from plans import check_golden

from reconciler.diff.compare import compare
from reconciler.plan.model import Action, Change, Kind, Plan
from reconciler.render.compare import presence, render_compare
from reconciler.state.desired import DesiredState, load_desired

EXAMPLE = Path(__file__).parents[2] / "catalog"
MODEL = """kind: Model
display_name: {name}
deployment: custom
provider: openai
model_id: {model_id}
credential: {credential}
context_window: 128000
"""
SUFFIX = {"text": "txt", "markdown": "md", "json": "json"}
CREDENTIAL = "kind: ProviderCredential\nname: {name}\nprovider: openai\napi_key: {{env: {env}}}\n"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example catalog with two more environments: each defines objects the other does
    not, and 'b' renames one of 'a''s models (previous_slugs)."""
    root = tmp_path_factory.mktemp("compare") / "catalog"
    shutil.copytree(EXAMPLE, root)
    a, b = root / "environments" / "a", root / "environments" / "b"
    a.mkdir()
    b.mkdir()
    (a / "o.yaml").write_text(
        MODEL.format(name="Only A", model_id="gpt-a", credential="a-key")
        + "---\n"
        + MODEL.format(name="Old Name", model_id="gpt-old", credential="prod-openai")
        + "---\n"
        + CREDENTIAL.format(name="a-key", env="A_KEY")
        + "---\nkind: Model\nslug: gpt-4o\nmax_output_tokens: 1024\n"
    )
    (b / "o.yaml").write_text(
        MODEL.format(name="Only B", model_id="gpt-b", credential="prod-openai")
        + "---\n"
        + MODEL.format(name="New Name", model_id="gpt-old", credential="prod-openai")
        + "previous_slugs: [old-name]\n"
        + "---\nkind: ProviderCredential\nname: prod-openai\napi_key: {env: B_OPENAI_KEY}\n"
    )
    return root


def _plan(catalog: Path, before: str, after: str) -> Plan:
    def load(name: str) -> DesiredState:
        return load_desired(catalog, None if name == "base" else name)

    return compare(load(before), load(after))


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (Action.UPDATE, "both"),
        (Action.CREATE, "only_in_to"),
        (Action.DEACTIVATE, "only_in_from"),
        (Action.DELETE, "only_in_from"),
        (Action.RENAME, "renamed"),
    ],
)
def test_presence(action: Action, expected: str) -> None:
    assert presence(Change(action, Kind.MODEL, "m")) == expected


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_compare_golden(catalog: Path, fmt: str) -> None:
    out = render_compare(_plan(catalog, "a", "b"), fmt)
    check_golden(f"compare.{SUFFIX[fmt]}", out)
    assert "deactivate" not in out
    assert "create" not in out


def test_text_says_where_each_object_is(catalog: Path) -> None:
    text = render_compare(_plan(catalog, "a", "b"), "text")
    assert "- model only-a: only in a; b does not define it" in text
    assert "- credential a-key: only in a; b does not define it" in text
    assert "+ model only-b: only in b" in text
    assert "> model old-name -> new-name: renamed: old-name in a, new-name in b" in text
    assert "    api_key: env OPENAI_API_KEY -> env B_OPENAI_KEY" in text
    assert "value" not in text  # references are compared, never values
    assert text.endswith(
        "a and b differ in 6 objects: 2 in both with different fields, 2 only in a, "
        "1 only in b, 1 renamed.\n"
    )


def test_json_names_both_sides(catalog: Path) -> None:
    data = json.loads(render_compare(_plan(catalog, "b", "a"), "json"))
    assert (data["from"], data["to"]) == ("b", "a")
    where = {d["key"]: d["presence"] for d in data["differences"]}
    assert where["only-a"] == "only_in_to"
    assert where["only-b"] == "only_in_from"
    [gpt4o] = [d for d in data["differences"] if d["key"] == "gpt-4o"]
    assert gpt4o["fields"]["max_output_tokens"] == {"from": 16384, "to": 1024}


def test_the_same_catalog(catalog: Path) -> None:
    assert render_compare(_plan(catalog, "a", "a"), "text") == (
        "Comparing a -> a\n\na and a define the same objects with the same fields.\n"
    )
    markdown = render_compare(_plan(catalog, "base", "base"), "markdown")
    assert "```" not in markdown
    assert "base and base define the same objects" in markdown
