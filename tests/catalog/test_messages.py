"""What validate says: located, in words rather than regexes, with what to do."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from reconciler.catalog import spec
from reconciler.catalog.load import _pydantic_diagnostics, load_catalog
from reconciler.catalog.schema import generate, pattern_message
from reconciler.catalog.validate import validate_catalog
from reconciler.catalog.yamlio import _syntax_diagnostic, load_text
from reconciler.commands.validate import validate
from reconciler.diagnostics import Severity
from reconciler.errors import CatalogError

DOCUMENT = TypeAdapter[Any](spec.CatalogDocument)
SOPS_YAML = "api_key: ENC[AES256_GCM,data:abc]\nsops:\n  mac: ENC[x]\n  version: 3.9.0\n"


# --- pattern fields --------------------------------------------------------------------------


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for v in node.values() for p in _patterns(v)]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v)]
    return []


def test_every_published_pattern_has_words() -> None:
    """A pattern without an entry would show its regex to the user again."""
    used = {p for schema in generate().values() for p in _patterns(schema)}
    assert used
    assert sorted(used - set(spec.PATTERN_HELP)) == []
    for text in spec.PATTERN_HELP.values():
        assert text.startswith("must ")
        assert not re.search(r"[\^$\\]|\(\?", text), text


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ("OPENAI-API-KEY", True),
        ("1PASSWORD_TOKEN", True),
        ("$OPENAI_API_KEY", True),
        ("openai.api_key", True),
        ("sk-proj-CANARY0123456789abcdefXYZ", False),  # a key: a long run of letters and digits
        ("0123456789abcdef0123456789abcdef", False),
        ("hf-CANARY" + "x" * 60, False),
        ("a-" * 33, False),  # too long to be a name someone typed
        ("key=CANARY/with+base64==", False),
    ],
)
def test_invalid_env_name_is_shown_unless_it_may_be_the_secret(
    tmp_path: Path, env: str, shown: bool
) -> None:
    (tmp_path / "c.yaml").write_text(
        f"kind: ProviderCredential\nname: c\nprovider: openai\napi_key: {{env: '{env}'}}\n"
    )
    [diag] = validate_catalog(tmp_path).diagnostics
    assert (diag.code, diag.line, diag.column) == ("invalid-value", 4, 16)
    assert (env in diag.message) is shown, diag.message
    if shown:
        assert diag.message.startswith(f"api_key.env: '{env}' is not a valid environment")
    else:
        assert "the value is not shown, as it may be the secret itself" in diag.message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("kind: Model\nslug: Not_A_Slug\n", "slug"),
        ("kind: ProviderCredential\nname: Prod_OpenAI\nprovider: openai\n", "name"),
        ("kind: Model\nrelease_date: 14/05/2025\n", "release_date"),
        ("kind: ProviderCredential\nprovider: bedrock\nregion: US East 1\n", "region"),
    ],
)
def test_a_value_failing_its_pattern_is_shown(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "d.yaml").write_text(text)
    (doc,) = load_text(text, "d.yaml").documents
    value = doc.data[where]
    found = [d.message for d in validate_catalog(tmp_path).diagnostics]
    assert any(m.startswith(f"{where}: '{value}' must ") for m in found), found


def test_a_pattern_message_shortens_and_escapes_the_value(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(f"kind: Model\nslug: 'Bad {'x' * 100}'\n")
    [message] = [
        d.message for d in validate_catalog(tmp_path).diagnostics if d.message.startswith("slug")
    ]
    assert message.startswith(f"slug: 'Bad {'x' * 53}...' must be a slug")


@pytest.mark.parametrize(
    ("pattern", "path", "value", "shown"),
    [
        # anything in a secret field may be the secret pasted in the wrong place
        (spec.REGION_PATTERN, ["api_key", "aws_secretsmanager", "region"], "CANARY 1", False),
        (spec.SLUG_PATTERN, ["secret_access_key", "sops", "key"], "CANARY 1", False),
        (spec.SLUG_PATTERN, ["slug"], "CANARY 1", True),
        # an env name: shown where it reads as a name, also in a secret field
        (spec.ENV_PATTERN, ["api_key", "env"], "OPENAI-API-KEY", True),
        (spec.ENV_PATTERN, ["api_key", "env"], "sk-proj-CANARY0123456789abcdef", False),
        (spec.ENV_PATTERN, ["env"], "sk-proj-CANARY0123456789abcdef", False),
        # a URL may carry a credential, with or without a scheme
        (spec.HTTP_URL_PATTERN, ["base_url"], "gw.example.com/v1?api_key=CANARY", False),
        (spec.HTTP_URL_PATTERN, ["endpoint_url"], "sk-CANARY@gw.example.com/v1", False),
    ],
)
def test_a_pattern_message_hides_what_may_be_a_secret(
    pattern: str, path: list[Any], value: str, shown: bool
) -> None:
    message = pattern_message(pattern, value, path)
    assert message.endswith(spec.PATTERN_HELP[pattern])
    assert ("CANARY" in message or value in message) is shown, message


def test_no_pattern_message_shows_a_value_in_a_secret_field(tmp_path: Path) -> None:
    """Through validate: a pattern error under a secret reference never quotes the value."""
    (tmp_path / "c.yaml").write_text(
        "kind: ProviderCredential\nname: c\nprovider: openai\n"
        'api_key: {aws_secretsmanager: {secret_id: s, region: "CANARY\\u0007x"}}\n'
    )
    found = validate_catalog(tmp_path).diagnostics
    assert found
    assert not any("CANARY" in d.message for d in found), found


def test_invalid_date_names_the_value(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "kind: Model\ndisplay_name: M\ndeployment: platform\nprovider: openai\n"
        "model_id: openai/m\ncontext_window: 1000\nrelease_date: '2025-02-30'\n"
    )
    [diag] = [d for d in validate_catalog(tmp_path).diagnostics if d.code == "invalid-value"]
    assert diag.message.startswith("release_date: '2025-02-30' is not a valid date")


@pytest.mark.parametrize(
    ("field", "value"),
    [("base_url", "ftp://gw"), ("base_url", "gw.example.com"), ("base_url", "https://a b")],
)
def test_bad_url_says_what_a_url_looks_like(tmp_path: Path, field: str, value: str) -> None:
    (tmp_path / "c.yaml").write_text(
        f"kind: ProviderCredential\nname: c\nprovider: openai\napi_key: {{env: K}}\n"
        f"{field}: '{value}'\n"
    )
    found = validate_catalog(tmp_path).diagnostics
    assert [(d.line, d.column, d.message) for d in found] == [
        (
            5,
            11,
            f"base_url: '{value}' must be an http(s) URL such as https://llm-gateway.example.com",
        )
    ]


# --- pydantic, the backstop behind the schema -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "# comment\nkind: Model\ndisplay_name: M\ndeployment: custom\nprovider: openai\n"
            "model_id: m\ncontext_window: 1\ncost:\n  input_per_token: .nan\n",
            (9, 20),
            "cost.input_per_token: must be a finite number",
        ),
        (
            "kind: ProviderCredential\nname: b\nprovider: bedrock\nregion: us-east-1\n"
            "api_key: {env: K}\nendpoint_url: ftp://x\n",
            (6, 15),
            "endpoint_url: 'ftp://x' must be an http(s) URL such as https://llm-gateway.example.com",
        ),
        (
            "kind: Model\ndisplay_name: M\ndeployment: custom\nprovider: openai\nmodel_id: m\n"
            "context_window: 1\nprevious_slugs: [ok, Not_OK]\n",
            (7, 22),
            "previous_slugs[1]: 'Not_OK' " + spec.PATTERN_HELP[spec.SLUG_PATTERN],
        ),
        (
            "kind: Model\ndisplay_name: M\ndeployment: custom\nprovider: openai\nmodel_id: m\n"
            "context_window: 1\ncapabilities:\n  reasoning: {parameter: lots}\n",
            (8, 26),
            "capabilities.reasoning.parameter: must be 'effort' or 'max_tokens'",
        ),
        (
            "kind: Model\ndisplay_name: M\ndeployment: custom\nprovider: openai\n"
            "context_window: 1\n",
            (1, 1),
            "'model_id' is required",
        ),
    ],
)
def test_pydantic_errors_are_located_at_the_field(
    text: str, where: tuple[int, int], message: str
) -> None:
    """Pydantic's error locations carry union tags ('Model', 'bedrock', 'Reasoning'); they
    used to stop the lookup at the top of the document (line 2 here: after the comment)."""
    (doc,) = load_text(text, "f.yaml").documents
    with pytest.raises(ValidationError) as caught:
        DOCUMENT.validate_python(doc.data)
    found = _pydantic_diagnostics(doc, caught.value)
    assert [(d.line, d.column) for d in found][-1:] == [where]
    assert found[-1].message == message


# --- YAML syntax -----------------------------------------------------------------------------

HINTED = {
    "kind: Model\ndisplay_name: X\n  deployment: custom\n": ((3, 13), "indented like the keys"),
    "kind: Model\ndisplay_name:X\ndeployment: custom\n": ((2, 1), "put a space after the colon"),
    "kind: Model\ndescription: Note: fast\n": ((2, 18), "quote a value that contains ': '"),
    "kind: Model\ncapabilities:\n    vision: true\n  tool_use: true\n": (
        (4, 3),
        "check the indentation",
    ),
    "kind: Model\nprevious_slugs:\n  - a\n  b: c\n": ((4, 3), "start every item of the list"),
    'kind: Model\ndescription: "abc\nx: 1\n': ((2, 14), "has no closing quote"),
    "kind: Model\ndescription: 'abc\n": ((2, 14), "has no closing quote"),
    "kind: Model\nprevious_slugs: [a, b\nx: 1\n": ((3, 2), "(it opens at line 2)"),
    "kind: Model\ncost: {a: 1\nx: 1\n": ((3, 2), "close it with '}'"),
    "kind: Model\ndescription: @me\n": ((2, 14), "put the value in quotes"),
    "kind: Model\ndescription: `x`\n": ((2, 14), "put the value in quotes"),
    "kind: Model\ndescription: * bold\n": ((2, 15), "'*' starts an alias"),
    "kind: Model\ndescription: & x\n": ((2, 15), "'&' starts an anchor"),
    'kind: Model\ndescription: "C:\\path"\n': ((2, 17), "write \\\\ for a backslash"),
    "kind: Model\ndescription: | x\n": ((2, 16), "start the text on the next line"),
    "kind: Model\nmodel_id: *gpt\n": ((2, 11), "define the anchor first"),
}


@pytest.mark.parametrize("text", list(HINTED))
def test_common_yaml_mistakes_come_with_a_hint(text: str) -> None:
    (where, hint), found = HINTED[text], load_text(text, "f.yaml").diagnostics
    assert [(d.line, d.column, d.code) for d in found] == [(*where, "yaml-syntax")]
    assert found[0].message.startswith("invalid YAML: ")
    assert hint in found[0].message


def test_pure_python_parser_words_get_the_same_hint() -> None:
    """Without libyaml, PyYAML says 'expected <block end>' where libyaml says 'did not find
    expected key'."""
    text = "kind: Model\ncapabilities:\n    vision: true\n  tool_use: true\n"
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.load(text, Loader=yaml.SafeLoader)
    found = _syntax_diagnostic("f.yaml", caught.value, text)
    assert "expected <block end>" in found.message
    assert "check the indentation" in found.message


fragments = st.lists(
    st.sampled_from(
        ["a", "b: ", ":", " ", "  ", "\n", "- ", "'", '"', "[", "]", "{", "}", ",", "*", "&", "@"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(fragments)
def test_syntax_errors_point_inside_the_text(text: str) -> None:
    """The reported position (the problem's, or the key or quote being read) is in the file."""
    lines = text.split("\n")
    for d in load_text(text, "f.yaml").diagnostics:
        if d.code != "yaml-syntax":
            continue
        assert 1 <= d.line <= len(lines) + 1
        if d.line <= len(lines):
            assert 1 <= d.column <= len(lines[d.line - 1]) + 1


# --- an empty catalog directory --------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"README.md": "# nothing here"},
        {".hidden.yaml": "kind: Settings\n"},
        {"secrets/keys.enc.yaml": SOPS_YAML},
    ],
    ids=["empty", "no-yaml", "hidden-only", "sops-only"],
)
def test_directory_without_catalog_files_warns(tmp_path: Path, files: dict[str, str]) -> None:
    root = tmp_path / "catalog"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    found = load_catalog(root).diagnostics
    folder = root.as_posix() + "/"
    assert [(d.path, d.line, d.code, d.severity) for d in found] == [
        (folder, 0, "no-catalog-files", Severity.WARNING)
    ]
    assert found[0].message == (
        f"no catalog files (*.yaml or *.yml) found in {folder}; check the --catalog path"
    )


def test_empty_catalog_validates_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "typo").mkdir()
    out = io.StringIO()
    assert validate(str(tmp_path / "typo"), "text", out) == 0
    folder = f"{(tmp_path / 'typo').as_posix()}/"
    assert out.getvalue() == (
        f"{folder}: warning[no-catalog-files]: no catalog files (*.yaml or *.yml) found in "
        f"{folder}; check the --catalog path\n"
        "0 errors, 1 warning\n"
        f"{folder} is valid: 0 models, 0 credentials\n"
    )
    out = io.StringIO()
    assert validate(str(tmp_path / "typo"), "json", out) == 0
    assert [i["code"] for i in json.loads(out.getvalue())] == ["no-catalog-files"]


def test_relative_empty_catalog_is_named_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert [d.path for d in load_catalog(".").diagnostics] == ["./"]
    (tmp_path / "sub").mkdir()
    assert [d.path for d in load_catalog("sub/").diagnostics] == ["sub/"]


def test_missing_directory_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="catalog directory not found"):
        load_catalog(tmp_path / "nope")


def test_catalog_with_files_does_not_warn(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("kind: Settings\n")
    assert [d.code for d in load_catalog(tmp_path).diagnostics] == []


def test_values_are_never_shown_in_the_fields_marked_as_secret_references() -> None:
    """schema._in_secret_field decides by spec.SECRET_FIELDS: they must be exactly the fields
    the published schemas mark x-secret-reference."""
    from reconciler.catalog.schema import _is_secret_ref

    marked = {
        name
        for schema in generate().values()
        for definition in [schema, *schema.get("$defs", {}).values()]
        for name, prop in definition.get("properties", {}).items()
        if _is_secret_ref(prop)
    }
    assert marked == set(spec.SECRET_FIELDS)
