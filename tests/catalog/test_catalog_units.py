"""Slugs, the example catalog, the published schemas and SOPS file detection."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.catalog import rules
from reconciler.catalog.load import load_catalog, model_slug
from reconciler.catalog.schema import DIALECT, generate, render
from reconciler.catalog.slug import derive_slug
from reconciler.catalog.validate import validate_catalog
from reconciler.commands.validate import validate

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Claude Opus 4.8", "claude-opus-4-8"),
        ("GPT-5.5", "gpt-5-5"),
        ("  Gemini 3.1 Pro  ", "gemini-3-1-pro"),
        ("grok_4.1 (fast)", "grok-4-1-fast"),
        ("Mistral--Large!!", "mistral-large"),
        ("Café Crème 2", "cafe-creme-2"),
        ("Ｆｕｌｌｗｉｄｔｈ １", "fullwidth-1"),
        ("Straße", "strae"),
        ("模型", ""),
        ("!!!", ""),
        ("", ""),
        ("a.b/c:d", "a-b-c-d"),
        ("UPPER lower", "upper-lower"),
    ],
)
def test_derive_slug(name: str, slug: str) -> None:
    assert derive_slug(name) == slug


def test_model_slug_prefers_explicit_slug() -> None:
    catalog = load_catalog(REPO / "catalog")
    by_name = {m.spec.display_name: model_slug(m.spec) for m in catalog.models}
    assert by_name["Claude Opus 4.8"] == "claude-opus-4-8"


def test_example_catalog_validates_clean() -> None:
    catalog = validate_catalog(REPO / "catalog")
    assert catalog.diagnostics == []
    assert len(catalog.models) == 15
    assert len(catalog.credentials) == 3
    out = io.StringIO()
    assert validate(str(REPO / "catalog"), "text", out) == 0
    assert "is valid: 15 models, 3 credentials" in out.getvalue()


def test_published_schemas_are_up_to_date() -> None:
    stale = [
        name
        for name, schema in generate().items()
        if not (SCHEMAS / name).exists() or (SCHEMAS / name).read_text("utf-8") != render(schema)
    ]
    assert not stale, (
        f"schemas/ is out of date with reconciler/catalog/spec.py ({', '.join(stale)}); "
        "run `python -m reconciler.catalog.schema schemas` and commit the result"
    )
    on_disk = {p.name for p in SCHEMAS.glob("*.json")}
    assert on_disk == set(generate()), "schemas/ holds files generate() does not produce"


def _properties(node: Any, where: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{where}.{name}", sub))
        for key, value in node.items():
            if key != "if":  # conditions select a branch; they document nothing
                found.extend(_properties(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_properties(value, f"{where}[{i}]"))
    return found


@pytest.mark.parametrize("name", sorted(generate()))
def test_schema_head_and_descriptions(name: str) -> None:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    assert schema["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema  # relative $refs resolve beside the file (test_schema.py)
    assert schema.get("title")
    props = _properties(schema)
    assert props
    missing = [
        where for where, sub in props if not (isinstance(sub, dict) and sub.get("description"))
    ]
    assert not missing, f"properties without a description in {name}: {missing}"


def test_document_schema_refers_to_the_kind_files_by_relative_name() -> None:
    text = (SCHEMAS / "catalog-document.schema.json").read_text("utf-8")
    refs = sorted(set(re.findall(r'"\$ref": "([^"#]+)', text)))
    kinds = {name for name in generate() if not name.startswith("overlay-")}
    assert refs == sorted(kinds - {"catalog-document.schema.json"})
    assert "urn:" not in text


SOPS_YAML = "api_key: ENC[AES256_GCM,data:abc]\nsops:\n  mac: ENC[x]\n  version: 3.9.0\n"


@pytest.mark.parametrize(
    ("name", "content", "encrypted"),
    [
        ("s.enc.yaml", SOPS_YAML, True),
        ("s.yml", SOPS_YAML, True),
        ("s.yaml", "api_key: sk-plain\n", False),
        ("s.yaml", "api_key: x\nsops: not-a-mapping\n", False),
        ("s.yaml", "- sops:\n    mac: x\n", False),
        ("s.yaml", "kind: [\n", False),
        ("s.json", '{"api_key": "ENC[x]", "sops": {"mac": "ENC[x]", "version": "3.9.0"}}', True),
        ("s.json", '{"api_key": "sk-plain"}', False),
        ("s.env", "API_KEY=ENC[x]\nsops_mac=ENC[x]\nsops_version=3.9.0\n", True),
        ("s.env", "API_KEY=plain\nsops_version=3.9.0\n", False),
        ("s.env", "API_KEY=plain\n", False),
        ("s.ini", "[app]\nkey = ENC[x]\n[sops]\nmac = ENC[x]\nversion = 3.9.0\n", True),
        ("s.ini", "[app]\nkey = plain\n[sops]\n", False),
        (
            "s.bin",
            '{\n  "data": "ENC[x]",\n  "sops": {"mac": "ENC[x]", "version": "3.9.0"}\n}',
            True,
        ),
        ("s.bin", '{"data": "plain"}', False),
        ("s.bin", "\x00\x01 random", False),
    ],
)
def test_sops_file_detection(tmp_path: Path, name: str, content: str, encrypted: bool) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert rules.is_sops_encrypted(path) is encrypted


def test_sops_detection_missing_and_non_utf8(tmp_path: Path) -> None:
    assert rules.is_sops_encrypted(tmp_path / "missing.yaml") is False
    assert rules.is_sops_encrypted(tmp_path / "missing.env") is False
    (tmp_path / "latin.yaml").write_bytes(b"sops:\n  mac: \xe9\n")
    assert rules.is_sops_encrypted(tmp_path / "latin.yaml") is False


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        ("secrets/ok.enc.yaml", None),
        ("./secrets/../secrets/ok.enc.yaml", None),
        ("secrets/missing.yaml", "secret-file-missing"),
        ("secrets", "secret-file-missing"),
        ("../outside.yaml", "secret-path-escapes"),
        ("secrets/../../outside.yaml", "secret-path-escapes"),
        ("/etc/passwd", "secret-path-escapes"),
        ("~/secrets.yaml", "secret-path-escapes"),
        ("secrets/link.yaml", "secret-path-escapes"),
    ],
)
def test_check_sops_path(tmp_path: Path, ref: str, code: str | None) -> None:
    root = tmp_path / "catalog"
    (root / "secrets").mkdir(parents=True)
    (root / "secrets" / "ok.enc.yaml").write_text(SOPS_YAML)
    (tmp_path / "outside.yaml").write_text(SOPS_YAML)
    (root / "secrets" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    problem = rules.check_sops_path(root, ref)
    assert (problem[0] if problem else None) == code


def test_encrypted_catalog_yaml_is_not_a_catalog_document(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    (root / "secrets").mkdir(parents=True)
    (root / "secrets" / "keys.enc.yaml").write_text(SOPS_YAML)
    (root / "cred.yaml").write_text(
        "kind: ProviderCredential\nname: c\nprovider: openai\n"
        "api_key:\n  sops:\n    file: secrets/keys.enc.yaml\n    key: api_key\n"
    )
    catalog = validate_catalog(root)
    assert catalog.diagnostics == []
    assert catalog.sops_files == ["secrets/keys.enc.yaml"]
