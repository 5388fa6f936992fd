"""The published schemas work in third-party clients: check-jsonschema resolves the document
schema's relative ``$ref``s to the kind files beside it, wherever the folder is copied."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.catalog import spec
from reconciler.catalog.schema import published
from reconciler.providers.table import OPENROUTER_VENDORS as VENDORS

REPO = Path(__file__).resolve().parents[2]
# base documents (overlays are partial: test_environments checks them against their schemas)
GOOD = sorted(p for p in (REPO / "catalog").rglob("*.yaml") if "environments" not in p.parts)

# (file content, the error check-jsonschema must report)
BAD = {
    "unknown-field.yaml": (
        "kind: Model\ndisplay_name: X\ndeployment: custom\nprovider: openai\n"
        "model_id: gpt-4o\ncontext_window: 100\ncontex_window: 1\n",
        "'contex_window' was unexpected",
    ),
    "bedrock-no-region.yaml": (
        "kind: ProviderCredential\nname: aws\nprovider: bedrock\napi_key: {env: KEY}\n",
        "'region' is a required property",
    ),
    "plaintext-secret.yaml": (
        "kind: ProviderCredential\nname: oa\nprovider: openai\napi_key: sk-canary-0001\n",
        "bad-documents/plaintext-secret.yaml::$.api_key",
    ),
    "bad-kind.yaml": ("kind: Modle\n", "'Modle' is not one of"),
    "bad-reasoning.yaml": (
        "kind: Model\ndisplay_name: X\ndeployment: custom\nprovider: openai\n"
        "model_id: gpt-4o\ncontext_window: 100\ncapabilities: {reasoning: {parameter: x}}\n",
        "$.capabilities.reasoning",
    ),
}


def _check(schema: Path, files: list[Path]) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def copied_schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The schemas as another repository holds them (``reconciler schema --out``)."""
    folder = tmp_path_factory.mktemp("elsewhere") / "schemas"
    shutil.copytree(REPO / "schemas", folder, ignore=shutil.ignore_patterns("*.py", "__*"))
    return folder


def test_check_jsonschema_accepts_every_example_document(copied_schemas: Path) -> None:
    assert len(GOOD) >= 10
    code, output = _check(copied_schemas / "catalog-document.schema.json", GOOD)
    assert code == 0, output
    assert "ok -- validation done" in output


def test_check_jsonschema_rejects_bad_documents(copied_schemas: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad-documents"
    folder.mkdir()
    for name, (text, _) in BAD.items():
        (folder / name).write_text(text, encoding="utf-8")
    code, output = _check(copied_schemas / "catalog-document.schema.json", sorted(folder.iterdir()))
    assert code == 1, output
    for name, (_, expected) in BAD.items():
        assert f"{name}::" in output, (name, output)
        assert expected in output, (name, output)


def test_kind_schema_checks_the_kind_alone(copied_schemas: Path) -> None:
    code, output = _check(copied_schemas / "model.schema.json", [REPO / "catalog/settings.yaml"])
    assert code == 1, output
    assert "'Model' was expected" in output


def test_provider_offers_the_known_vendors_and_allows_others() -> None:
    provider = published()["model.schema.json"]["properties"]["provider"]
    suggested = provider["examples"]
    assert set(spec.CREDENTIAL_PROVIDERS) <= set(suggested)
    assert set(VENDORS) <= set(suggested), "a vendor lint knows is not suggested"
    assert "enum" not in provider  # a suggestion, not a restriction
    model = spec.ModelSpec.model_validate(
        {
            "kind": "Model",
            "display_name": "Some Model",
            "deployment": "platform",
            "provider": "some-new-lab",
            "model_id": "some-new-lab/model-1",
            "context_window": 1000,
        }
    )
    assert model.provider == "some-new-lab"
