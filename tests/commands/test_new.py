"""``reconciler new model`` / ``new credential``: one new, valid file, never over another."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler import cli
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import has_errors
from reconciler.lint.knowledge import model_cost

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(REPO / "catalog", root)
    return root


def _new(catalog: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli.main, ["new", *args, "--catalog", str(catalog)], input=stdin)


def _valid(catalog: Path) -> None:
    result = validate_catalog(catalog)
    assert not has_errors(result.diagnostics), result.diagnostics


def test_new_model_is_filled_from_litellm_and_validates(catalog: Path) -> None:
    result = _new(
        catalog,
        "model",
        "--provider",
        "openai",
        "--model-id",
        "gpt-4o-2024-08-06",
        "--display-name",
        "GPT-4o August",
        "--credential",
        "prod-openai",
        "--category",
        "standard",
    )
    assert result.exit_code == 0, result.output
    path = catalog / "models" / "custom" / "gpt-4o-august.yaml"
    assert f"wrote {path}" in result.output
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../../schemas/model.schema.json"
    assert lines[1] == "kind: Model"
    doc = yaml.safe_load(text)
    assert doc["slug"] == "gpt-4o-august"  # pinned, not left to derivation
    litellm = model_cost()["gpt-4o-2024-08-06"]
    assert doc["context_window"] == litellm["max_input_tokens"]
    assert doc["max_output_tokens"] == litellm["max_output_tokens"]
    assert doc["cost"] == {
        "input_per_token": litellm["input_cost_per_token"],
        "output_per_token": litellm["output_cost_per_token"],
    }
    assert doc["capabilities"]["vision"] is litellm["supports_vision"]
    assert doc["capabilities"]["tool_use"] is litellm["supports_function_calling"]
    for field in ("context_window:", "max_output_tokens:", "capabilities:", "cost:"):
        line = next(x for x in lines if x.startswith(field))
        assert line.endswith("# from litellm's model data (gpt-4o-2024-08-06)"), line
    assert "display_name: GPT-4o August" in lines  # given values carry no such mark
    _valid(catalog)


def test_new_platform_model_lands_under_platform(catalog: Path) -> None:
    result = _new(
        catalog,
        "model",
        "--deployment",
        "platform",
        "--provider",
        "anthropic",
        "--model-id",
        "anthropic/claude-new-test",
        "--context-window",
        "100000",
    )
    assert result.exit_code == 0, result.output
    path = catalog / "models" / "platform" / "claude-new-test.yaml"
    doc = yaml.safe_load(path.read_text())
    assert doc["context_window"] == 100000
    assert "litellm" not in path.read_text()  # it knows nothing of this model: nothing marked
    _valid(catalog)


def test_new_never_overwrites(catalog: Path) -> None:
    args = ["model", "--provider", "openai", "--model-id", "gpt-4o", "--display-name", "GPT-4o"]
    path = catalog / "models" / "custom" / "gpt-4o.yaml"
    before = path.read_bytes()
    result = _new(catalog, *args)
    assert result.exit_code == 1
    assert f"{path} already exists; new never overwrites a file" in result.output
    assert path.read_bytes() == before


def test_an_invalid_result_is_not_written(catalog: Path) -> None:
    result = _new(
        catalog,
        "model",
        "--provider",
        "openai",
        "--model-id",
        "gpt-4o",
        "--display-name",
        "GPT-4o Other",
        "--credential",
        "nope",
    )
    assert result.exit_code == 1
    assert "would make the catalog invalid; nothing was written" in result.output
    assert "models/custom/gpt-4o-other.yaml:" in result.output  # located in the catalog
    assert "nope" in result.output
    assert not (catalog / "models" / "custom" / "gpt-4o-other.yaml").exists()
    assert "Traceback" not in result.output


def test_missing_values_off_a_terminal_name_the_flags(catalog: Path) -> None:
    result = _new(catalog, "model", "--provider", "openai")
    assert result.exit_code == 1
    assert "new model: missing --model-id" in result.output
    result = _new(catalog, "credential", "--provider", "huggingface", "--name", "hf")
    assert result.exit_code == 1
    assert "missing --endpoint-url, --env (or --sops-file and --sops-key" in result.output
    assert not (catalog / "credentials" / "hf.yaml").exists()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)


@pytest.mark.usefixtures("terminal")
def test_bedrock_asks_region_and_key_form_never_the_secret(catalog: Path) -> None:
    # provider, name (default), display name (blank), region, key form, endpoint (blank),
    # where the secret is, the variable prefix
    answers = "bedrock\n\n\neu-west-1\naccess-keys\n\nenv\nAWS_PROD\n"
    result = _new(catalog, "credential", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "AWS region" in result.output
    assert "Key form" in result.output
    assert "Inference Endpoint URL" not in result.output
    doc = yaml.safe_load((catalog / "credentials" / "prod-bedrock.yaml").read_text())
    assert doc == {
        "kind": "ProviderCredential",
        "name": "prod-bedrock",
        "provider": "bedrock",
        "region": "eu-west-1",
        "access_key_id": {"env": "AWS_PROD_ACCESS_KEY_ID"},
        "secret_access_key": {"env": "AWS_PROD_SECRET_ACCESS_KEY"},
    }
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("provider", "asked", "answer", "field"),
    [
        ("huggingface", "Inference Endpoint URL", "https://x.endpoints.example", "endpoint_url"),
        ("openai_compatible", "Base URL of the API", "http://127.0.0.1:8000/v1", "base_url"),
    ],
)
def test_questions_adapt_to_the_provider(
    catalog: Path, provider: str, asked: str, answer: str, field: str
) -> None:
    answers = f"{provider}\nself-hosted\n\n{answer}\naws\nprod/llm\n"
    result = _new(catalog, "credential", stdin=answers)
    assert result.exit_code == 0, result.output
    assert asked in result.output
    assert "AWS region" not in result.output
    doc = yaml.safe_load((catalog / "credentials" / "self-hosted.yaml").read_text())
    assert doc[field] == answer
    assert doc["api_key"] == {"aws_secretsmanager": {"secret_id": "prod/llm"}}
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
def test_model_prompts_for_what_is_missing(catalog: Path) -> None:
    # deployment, provider, model ID, display name (default), credential, category,
    # context window (litellm does not know this model)
    answers = "custom\nanthropic\nclaude-internal-test\n\nprod-anthropic\nbudget\n50000\n"
    result = _new(catalog, "model", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "Context window (tokens)" in result.output
    doc = yaml.safe_load((catalog / "models" / "custom" / "claude-internal-test.yaml").read_text())
    assert doc["credential"] == "prod-anthropic"
    assert doc["category"] == "budget"
    assert doc["context_window"] == 50000
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
def test_platform_model_takes_any_vendor_and_asks_no_credential(catalog: Path) -> None:
    # deployment, vendor (free text), model ID, display name (default), category, context
    answers = "platform\nsome-lab\nsome-lab/model-x\n\nbudget\n1000\n"
    result = _new(catalog, "model", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "Upstream vendor (e.g. openai" in result.output
    assert "Credential" not in result.output
    doc = yaml.safe_load((catalog / "models" / "platform" / "model-x.yaml").read_text())
    assert (doc["provider"], doc["model_id"], doc["slug"]) == (
        "some-lab",
        "some-lab/model-x",
        "model-x",
    )
    _valid(catalog)
