"""The provider table: how each provider's model and credential reach litellm."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.catalog.spec import CREDENTIAL_PROVIDERS
from reconciler.providers.mapping import (
    NO_KEY_PLACEHOLDER,
    UnsupportedProviderError,
    completion_kwargs,
    litellm_model,
)
from reconciler.providers.table import PROVIDERS
from reconciler.runtime import ResolvedModel
from reconciler.secrets.values import SecretValue


def _model(
    provider: str,
    model_id: str,
    *,
    deployment: str = "custom",
    secrets: dict[str, str] | None = None,
    config: dict[str, str] | None = None,
) -> ResolvedModel:
    return ResolvedModel(
        slug="m",
        provider=provider,
        model_id=model_id,
        deployment=deployment,
        source="credential:c",
        credential_name="c",
        secrets={k: SecretValue(v) for k, v in (secrets or {}).items()},
        config=config or {},
    )


CASES: list[tuple[str, ResolvedModel, dict[str, Any], tuple[str, ...]]] = [
    (
        "openai",
        _model("openai", "gpt-4o", secrets={"api_key": "sk-openai"}),
        {"model": "openai/gpt-4o", "api_key": "sk-openai"},
        ("api_base",),
    ),
    (
        "anthropic",
        _model("anthropic", "claude-sonnet-4-20250514", secrets={"api_key": "sk-ant"}),
        {"model": "anthropic/claude-sonnet-4-20250514", "api_key": "sk-ant"},
        ("api_base",),
    ),
    (
        "google",
        _model("google", "gemini-2.5-pro", secrets={"api_key": "AIza-g"}),
        {"model": "gemini/gemini-2.5-pro", "api_key": "AIza-g"},
        ("api_base",),
    ),
    (
        "google, model_id already routed",
        _model("google", "gemini/gemini-2.5-pro", secrets={"api_key": "AIza-g"}),
        {"model": "gemini/gemini-2.5-pro"},
        (),
    ),
    (
        "openrouter (native route)",
        _model("openrouter", "anthropic/claude-opus-4.8", secrets={"api_key": "sk-or"}),
        {"model": "openrouter/anthropic/claude-opus-4.8", "api_key": "sk-or"},
        ("api_base",),
    ),
    (
        "fireworks",
        _model(
            "fireworks",
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            secrets={"api_key": "fw-key"},
        ),
        {
            "model": "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
            "api_key": "fw-key",
        },
        (),
    ),
    (
        "together",
        _model(
            "together",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            secrets={"api_key": "tg-key"},
        ),
        {"model": "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "api_key": "tg-key"},
        (),
    ),
    (
        "bedrock, IAM key pair",
        _model(
            "bedrock",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            secrets={"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t"},
            config={"region": "eu-central-1"},
        ),
        {
            "model": "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": "s3cr3t",
            "aws_region_name": "eu-central-1",
        },
        ("api_key", "api_base"),
    ),
    (
        "bedrock, API key (bearer token)",
        _model(
            "bedrock",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            secrets={"api_key": "bedrock-api-key"},
            config={"region": "us-east-1"},
        ),
        {
            "model": "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
            "api_key": "bedrock-api-key",
            "aws_region_name": "us-east-1",
        },
        ("aws_access_key_id", "aws_secret_access_key"),
    ),
    (
        "bedrock through a VPC endpoint: litellm's runtime-endpoint keyword, which SigV4 signs",
        _model(
            "bedrock",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            secrets={"api_key": "bedrock-api-key"},
            config={
                "region": "eu-central-1",
                "endpoint_url": "https://vpce-0a1b.bedrock-runtime.eu-central-1.vpce.amazonaws.com",
            },
        ),
        {
            "aws_region_name": "eu-central-1",
            "aws_bedrock_runtime_endpoint": (
                "https://vpce-0a1b.bedrock-runtime.eu-central-1.vpce.amazonaws.com"
            ),
        },
        ("api_base",),
    ),
    (
        "huggingface endpoint",
        _model(
            "huggingface",
            "meta-llama/Llama-3.1-8B-Instruct",
            secrets={"api_key": "hf_token"},
            config={"endpoint_url": "https://xyz.endpoints.huggingface.cloud"},
        ),
        {
            "model": "huggingface/meta-llama/Llama-3.1-8B-Instruct",
            "api_key": "hf_token",
            "api_base": "https://xyz.endpoints.huggingface.cloud",
        },
        ("num_retries", "max_retries"),  # litellm would send them to the endpoint
    ),
    (
        "openai_compatible with key",
        _model(
            "openai_compatible",
            "qwen2.5-72b",
            secrets={"api_key": "local-key"},
            config={"base_url": "http://vllm.internal:8000/v1"},
        ),
        {
            "model": "openai/qwen2.5-72b",
            "api_key": "local-key",
            "api_base": "http://vllm.internal:8000/v1",
        },
        (),
    ),
    (
        "openai_compatible without key: placeholder, never OPENAI_API_KEY",
        _model("openai_compatible", "llama3", config={"base_url": "http://ollama:11434/v1"}),
        {
            "model": "openai/llama3",
            "api_key": NO_KEY_PLACEHOLDER,
            "api_base": "http://ollama:11434/v1",
        },
        (),
    ),
    (
        "platform model through the platform's OpenRouter credential",
        _model(
            "openrouter",
            "openai/gpt-5.5",
            deployment="platform",
            secrets={"api_key": "sk-or-platform"},
        ),
        {"model": "openrouter/openai/gpt-5.5", "api_key": "sk-or-platform"},
        ("api_base",),
    ),
    (
        "platform model whose provider names the vendor still goes through OpenRouter",
        _model("x-ai", "x-ai/grok-4.3", deployment="platform", secrets={"api_key": "k-or"}),
        {"model": "openrouter/x-ai/grok-4.3", "api_key": "k-or"},
        (),
    ),
    *[
        (
            f"{provider} through a gateway base_url",
            _model(
                provider,
                "some-model",
                secrets={"api_key": "k-gw"},
                config={"base_url": f"https://gw.example.com/{provider}"},
            ),
            {"api_key": "k-gw", "api_base": f"https://gw.example.com/{provider}"},
            ("aws_bedrock_runtime_endpoint",),
        )
        for provider in ("openai", "anthropic", "google", "openrouter", "fireworks", "together")
    ],
    (
        "a config base_url overrides any provider's API base",
        _model(
            "anthropic",
            "claude-haiku-4-5",
            secrets={"api_key": "sk-ant"},
            config={"api_base": "http://127.0.0.1:9/"},
        ),
        {"model": "anthropic/claude-haiku-4-5", "api_base": "http://127.0.0.1:9/"},
        (),
    ),
]


@pytest.mark.parametrize(
    ("resolved", "expected", "absent"),
    [pytest.param(r, e, a, id=name) for name, r, e, a in CASES],
)
def test_completion_kwargs(
    resolved: ResolvedModel, expected: dict[str, Any], absent: tuple[str, ...]
) -> None:
    kwargs = completion_kwargs(resolved, timeout=7.5)
    for key, value in expected.items():
        assert kwargs[key] == value, key
    for key in absent:
        assert key not in kwargs
    # a minimal call with no retries of any kind
    assert kwargs["max_tokens"] == 1
    if resolved.provider != "huggingface":  # huggingface: none passed, none made
        assert kwargs["num_retries"] == 0
        assert kwargs["max_retries"] == 0
    assert kwargs["timeout"] == 7.5
    assert kwargs["messages"] == [{"role": "user", "content": "ping"}]


def test_every_catalog_provider_has_a_route() -> None:
    assert set(PROVIDERS) == set(CREDENTIAL_PROVIDERS)
    covered = {r.provider for _, r, _, _ in CASES if r.deployment == "custom"}
    assert covered == set(CREDENTIAL_PROVIDERS)


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(UnsupportedProviderError, match="mistral"):
        litellm_model(_model("mistral", "mistral-large"))


def test_routed_models_are_known_to_litellm() -> None:
    """litellm itself resolves each route to the intended provider."""
    from reconciler.providers.litellm_env import import_litellm

    litellm = import_litellm()
    expected = {
        "openai": "openai",
        "anthropic": "anthropic",
        "google": "gemini",
        "openrouter": "openrouter",
        "fireworks": "fireworks_ai",
        "together": "together_ai",
        "bedrock": "bedrock",
        "huggingface": "huggingface",
        "openai_compatible": "openai",
    }
    for _, resolved, _, _ in CASES:
        _, provider, _, _ = litellm.get_llm_provider(litellm_model(resolved))
        want = "openrouter" if resolved.deployment == "platform" else expected[resolved.provider]
        assert provider == want, resolved


def test_mapping_import_does_not_load_litellm() -> None:
    code = (
        "import sys\n"
        "import reconciler.providers.mapping, reconciler.providers.connection\n"
        "import reconciler.commands.test_connection, reconciler.commands.lint\n"
        "import reconciler.lint.rules\n"
        "assert 'litellm' not in sys.modules, 'litellm imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_validate_and_help_do_not_load_litellm() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from reconciler.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(main, ['validate', '--catalog', 'catalog'])\n"
        "assert 'litellm' not in sys.modules, 'litellm imported'\n"
    )
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=repo)


def test_plan_with_endpoint_credentials_loads_neither_litellm_nor_boto3(tmp_path: Path) -> None:
    """Planning a catalog whose credentials name a base_url / a Bedrock endpoint_url stays
    light: nothing reaches for a provider SDK before a live call."""
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "creds.yaml").write_text(
        "kind: ProviderCredential\nname: vpc-bedrock\nprovider: bedrock\nregion: eu-central-1\n"
        "endpoint_url: https://vpce-1.bedrock-runtime.eu-central-1.vpce.amazonaws.com\n"
        "access_key_id:\n  env: PLAN_AWS_KEY_ID\nsecret_access_key:\n  env: PLAN_AWS_SECRET\n"
        "---\n"
        "kind: ProviderCredential\nname: gw-google\nprovider: google\n"
        "base_url: https://gw.example.com/v1beta\napi_key:\n  env: PLAN_GOOGLE_KEY\n"
    )
    (root / "models.yaml").write_text(
        "kind: Model\ndisplay_name: Haiku\ndeployment: custom\nprovider: bedrock\n"
        "model_id: anthropic.claude-3-5-haiku-20241022-v1:0\ncredential: vpc-bedrock\n"
        "context_window: 200000\n"
        "---\n"
        "kind: Model\ndisplay_name: Flash\ndeployment: custom\nprovider: google\n"
        "model_id: gemini-2.5-flash\ncredential: gw-google\ncontext_window: 1000000\n"
        "---\n"
        "kind: Settings\ndefault_model: flash\n"
    )
    code = (
        "import os, sys\n"
        "from click.testing import CliRunner\n"
        "from reconciler.cli import main\n"
        "db = sys.argv[2]\n"
        "r = CliRunner().invoke(main, ['db', 'upgrade', '--db', db])\n"
        "assert r.exit_code == 0, r.output\n"
        "r = CliRunner().invoke(main, ['plan', '--catalog', sys.argv[1], '--db', db])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'vpce-1.bedrock-runtime' in r.output, r.output\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "heavy = sorted(loaded & {'litellm', 'boto3', 'botocore'})\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    env = dict(
        os.environ,
        PLAN_AWS_KEY_ID="AKIAPLANEXAMPLE00001",
        PLAN_AWS_SECRET="plan-secret-0123456789",
        PLAN_GOOGLE_KEY="plan-google-key-0123456789",
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root), f"sqlite:///{tmp_path / 'r.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY=\n" in proc.stdout  # the probe ran, and loaded none of them
