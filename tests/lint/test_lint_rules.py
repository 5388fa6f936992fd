"""Each lint rule on a small catalog, against litellm's bundled model data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import Diagnostic, Severity, has_errors
from reconciler.lint.knowledge import lookup, model_cost
from reconciler.lint.rules import CostFix, LintResult, lint_catalog, per_million_text


@pytest.fixture(scope="module")
def table() -> Mapping[str, Mapping[str, Any]]:
    return model_cost()


def model_yaml(
    *,
    name: str = "Test Model",
    deployment: str = "custom",
    provider: str = "openai",
    model_id: str = "gpt-4o",
    credential: str | None = None,
    context_window: int = 128000,
    max_output_tokens: int | None = 16384,
    vision: bool = True,
    tool_use: bool = True,
    json_mode: bool = True,
    reasoning: str | None = None,
    cost: tuple[float, float] | None = (2.5e-06, 1e-05),
) -> str:
    lines = [
        "kind: Model",
        f"display_name: {name}",
        f"deployment: {deployment}",
        f"provider: {provider}",
        f"model_id: {model_id}",
    ]
    if credential:
        lines.append(f"credential: {credential}")
    lines.append(f"context_window: {context_window}")
    if max_output_tokens is not None:
        lines.append(f"max_output_tokens: {max_output_tokens}")
    lines += [
        "capabilities:",
        f"  json_mode: {str(json_mode).lower()}",
        f"  vision: {str(vision).lower()}",
        f"  tool_use: {str(tool_use).lower()}",
    ]
    if reasoning:
        lines += ["  reasoning:", f"    parameter: {reasoning}"]
    if cost is not None:
        lines += ["cost:", f"  input_per_token: {cost[0]!r}", f"  output_per_token: {cost[1]!r}"]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "catalog"
    if any("kind: Model" in t for t in files.values()):
        files = {"settings.yaml": "kind: Settings\ndefault_model: test-model\n", **files}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(
    tmp_path: Path, table: Mapping[str, Mapping[str, Any]], files: dict[str, str]
) -> LintResult:
    catalog = validate_catalog(write(tmp_path, files))
    assert not has_errors(catalog.diagnostics), catalog.diagnostics
    return lint_catalog(catalog, table)


def codes(result: LintResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def only(result: LintResult, code: str) -> Diagnostic:
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, result.diagnostics
    return found[0]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_test_models_are_in_the_local_map(table: Mapping[str, Mapping[str, Any]]) -> None:
    for key in ("gpt-4o", "o3-mini", "claude-haiku-4-5", "claude-sonnet-4-6", "gpt-audio-mini"):
        assert key in table


def test_a_consistent_model_is_clean(tmp_path: Path, table: Any) -> None:
    assert run(tmp_path, table, {"m.yaml": model_yaml()}).diagnostics == []


# --- capability-mismatch -------------------------------------------------------------------


def test_claimed_capability_litellm_denies(tmp_path: Path, table: Any) -> None:
    text = model_yaml(
        model_id="o3-mini",
        context_window=200000,
        max_output_tokens=100000,
        reasoning="effort",
        cost=(1.1e-06, 4.4e-06),
    )
    result = run(tmp_path, table, {"m.yaml": text})
    diag = only(result, "capability-mismatch")
    assert diag.severity is Severity.WARNING
    assert "capabilities.vision is on" in diag.message
    assert "supports_vision: false" in diag.message
    assert (diag.line, diag.column) == (line_of(text, "vision:"), 11)
    assert diag.path.endswith("m.yaml")


def test_capability_litellm_knows_but_catalog_denies(tmp_path: Path, table: Any) -> None:
    text = model_yaml(tool_use=False)
    diag = only(run(tmp_path, table, {"m.yaml": text}), "capability-mismatch")
    assert "capabilities.tool_use is false" in diag.message
    assert "supports_function_calling: true" in diag.message
    assert diag.line == line_of(text, "tool_use:")


def test_reasoning_on_for_a_model_without_it(tmp_path: Path, table: Any) -> None:
    text = model_yaml(
        model_id="gpt-audio-mini", vision=False, tool_use=False, reasoning="effort", cost=None
    )
    result = run(tmp_path, table, {"m.yaml": text})
    mismatches = [d for d in result.diagnostics if d.code == "capability-mismatch"]
    assert any("capabilities.reasoning is on" in d.message for d in mismatches), mismatches


def test_reasoning_off_is_a_choice(tmp_path: Path, table: Any) -> None:
    text = model_yaml(
        model_id="claude-haiku-4-5",
        provider="anthropic",
        context_window=200000,
        max_output_tokens=64000,
        cost=(1e-06, 5e-06),
    )
    assert run(tmp_path, table, {"m.yaml": text}).diagnostics == []


# --- limits ----------------------------------------------------------------------------------


def test_context_window_and_output_above_litellm(tmp_path: Path, table: Any) -> None:
    text = model_yaml(context_window=200000, max_output_tokens=32000)
    result = run(tmp_path, table, {"m.yaml": text})
    ctx = only(result, "context-window-too-large")
    assert "200000" in ctx.message
    assert "128000" in ctx.message
    assert (ctx.line, ctx.column) == (line_of(text, "context_window"), 17)
    out = only(result, "max-output-too-large")
    assert "32000" in out.message
    assert "16384" in out.message
    assert out.line == line_of(text, "max_output_tokens")


# --- tool-output-too-small / reasoning-output-low --------------------------------------------


def test_tool_use_with_small_output(tmp_path: Path, table: Any) -> None:
    text = model_yaml(max_output_tokens=8000)
    diag = only(run(tmp_path, table, {"m.yaml": text}), "tool-output-too-small")
    assert "truncated mid-argument" in diag.message
    assert "16000" in diag.message
    assert (diag.line, diag.column) == (line_of(text, "max_output_tokens"), 20)


def test_tool_output_rule_needs_no_litellm_data(tmp_path: Path, table: Any) -> None:
    text = model_yaml(
        provider="anthropic", model_id="claude-does-not-exist-1", max_output_tokens=4096
    )
    assert sorted(codes(run(tmp_path, table, {"m.yaml": text}))) == [
        "tool-output-too-small",
        "unknown-model",
    ]


def test_tool_use_at_the_models_ceiling_is_fine(tmp_path: Path, table: Any) -> None:
    assert run(tmp_path, table, {"m.yaml": model_yaml(max_output_tokens=16384)}).diagnostics == []


def test_reasoning_model_far_below_its_ceiling(tmp_path: Path, table: Any) -> None:
    base = {
        "model_id": "o3-mini",
        "vision": False,
        "reasoning": "effort",
        "context_window": 200000,
        "cost": (1.1e-06, 4.4e-06),
    }
    low = run(tmp_path / "a", table, {"m.yaml": model_yaml(max_output_tokens=20000, **base)})
    diag = only(low, "reasoning-output-low")
    assert "100000" in diag.message
    assert "25%" in diag.message
    ok = run(tmp_path / "b", table, {"m.yaml": model_yaml(max_output_tokens=30000, **base)})
    assert ok.diagnostics == []


# --- cost ------------------------------------------------------------------------------------


def test_cost_missing_suggests_litellm_prices(tmp_path: Path, table: Any) -> None:
    text = model_yaml(cost=None)
    result = run(tmp_path, table, {"m.yaml": text})
    assert codes(result) == ["cost-missing", "cost-missing"]
    messages = " ".join(d.message for d in result.diagnostics)
    assert "2.5e-06 ($2.50 per 1M tokens)" in messages
    assert "1e-05 ($10.00 per 1M tokens)" in messages
    assert {(f.field, f.value) for f in result.fixes} == {
        ("input_per_token", 2.5e-06),
        ("output_per_token", 1e-05),
    }
    assert all(isinstance(f, CostFix) and f.doc_index == 0 for f in result.fixes)


def test_cost_differing_says_both_values(tmp_path: Path, table: Any) -> None:
    text = model_yaml(cost=(5e-06, 1e-05))
    result = run(tmp_path, table, {"m.yaml": text})
    diag = only(result, "cost-mismatch")
    assert "cost.input_per_token is 5e-06 ($5.00 per 1M tokens)" in diag.message
    assert "2.5e-06 ($2.50 per 1M tokens)" in diag.message
    assert (diag.line, diag.column) == (line_of(text, "input_per_token"), 20)
    assert [(f.field, f.value) for f in result.fixes] == [("input_per_token", 2.5e-06)]


def test_platform_model_found_under_the_vendors_id(tmp_path: Path, table: Any) -> None:
    text = model_yaml(
        deployment="platform",
        provider="anthropic",
        model_id="anthropic/claude-sonnet-4.6",
        context_window=1000000,
        max_output_tokens=128000,
        reasoning="max_tokens",
        cost=(3e-06, 2e-05),
    )
    diag = only(run(tmp_path, table, {"m.yaml": text}), "cost-mismatch")
    assert "'claude-sonnet-4-6'" in diag.message


def test_per_million_formatting() -> None:
    assert per_million_text(3e-06) == "$3.00 per 1M tokens"
    assert per_million_text(7.5e-08) == "$0.075 per 1M tokens"


# --- duplicate-secret-source -------------------------------------------------------------


def test_two_credentials_with_the_same_secret(tmp_path: Path, table: Any) -> None:
    first = "kind: ProviderCredential\nname: a\nprovider: openai\napi_key:\n  env: SHARED_KEY\n"
    second = "kind: ProviderCredential\nname: b\nprovider: openai\napi_key:\n  env: SHARED_KEY\n"
    other = "kind: ProviderCredential\nname: c\nprovider: openai\napi_key:\n  env: OTHER_KEY\n"
    result = run(tmp_path, table, {"a.yaml": first, "b.yaml": second, "c.yaml": other})
    diag = only(result, "duplicate-secret-source")
    assert diag.path.endswith("b.yaml")
    assert (diag.line, diag.column) == (5, 3)
    assert "env SHARED_KEY" in diag.message
    assert "reuse credential 'a'" in diag.message


# --- unknown-model -----------------------------------------------------------------------


def test_unknown_model_is_info(tmp_path: Path, table: Any) -> None:
    text = model_yaml(provider="anthropic", model_id="claude-imaginary-9", cost=None)
    diag = only(run(tmp_path, table, {"m.yaml": text}), "unknown-model")
    assert diag.severity is Severity.INFO
    assert "claude-imaginary-9" in diag.message
    assert diag.line == line_of(text, "model_id")


def test_self_hosted_models_are_not_looked_up(tmp_path: Path, table: Any) -> None:
    cred = (
        "kind: ProviderCredential\nname: local\nprovider: openai_compatible\n"
        "base_url: http://vllm:8000/v1\n"
    )
    text = model_yaml(provider="openai_compatible", credential="local", cost=None)
    assert run(tmp_path, table, {"c.yaml": cred, "m.yaml": text}).diagnostics == []


def test_lookup_requires_the_right_provider(table: Any) -> None:
    from reconciler.catalog.spec import ModelSpec

    spec = ModelSpec.model_validate(
        {
            "kind": "Model",
            "display_name": "x",
            "deployment": "custom",
            "provider": "anthropic",
            "model_id": "gpt-4o",
            "context_window": 1000,
        }
    )
    info, tried = lookup(spec, table)
    assert info is None
    assert tried == ["gpt-4o", "anthropic/gpt-4o"]


def test_two_spellings_of_the_same_sops_file(tmp_path: Path, table: Any) -> None:
    secret = "openai: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: m\n"
    cred = (
        "kind: ProviderCredential\nname: {name}\nprovider: openai\n"
        "api_key:\n  sops: {{file: {file}, key: openai}}\n"
    )
    result = run(
        tmp_path,
        table,
        {
            "secrets/prod.enc.yaml": secret,
            "a.yaml": cred.format(name="a", file="secrets/prod.enc.yaml"),
            "b.yaml": cred.format(name="b", file="./secrets/prod.enc.yaml"),
            "c.yaml": cred.format(name="c", file="secrets/other/../prod.enc.yaml"),
        },
    )
    assert [Path(d.path).name for d in result.diagnostics] == ["b.yaml", "c.yaml"]
    assert {d.code for d in result.diagnostics} == {"duplicate-secret-source"}
    assert "sops ./secrets/prod.enc.yaml#openai" in result.diagnostics[0].message


def test_the_current_aws_version_spelt_out(tmp_path: Path, table: Any) -> None:
    cred = (
        "kind: ProviderCredential\nname: {name}\nprovider: openai\n"
        "api_key:\n  aws_secretsmanager: {{secret_id: prod/openai{extra}}}\n"
    )
    result = run(
        tmp_path,
        table,
        {
            "a.yaml": cred.format(name="a", extra=""),
            "b.yaml": cred.format(name="b", extra=", version_stage: AWSCURRENT"),
            "c.yaml": cred.format(name="c", extra=", version_stage: AWSPREVIOUS"),
        },
    )
    assert [(Path(d.path).name, d.code) for d in result.diagnostics] == [
        ("b.yaml", "duplicate-secret-source")
    ]


def test_no_base_model_prices_for_a_free_variant(tmp_path: Path, table: Any) -> None:
    free = model_yaml(
        deployment="platform", model_id="openai/gpt-4o:free", context_window=200000, cost=None
    )
    result = run(tmp_path / "free", table, {"m.yaml": free})
    # limits and capabilities still come from the base model; its prices do not apply
    assert codes(result) == ["context-window-too-large"]
    assert result.fixes == []
    paid = run(tmp_path / "paid", table, {"m.yaml": free.replace(":free", "")})
    assert sorted(codes(paid)) == ["context-window-too-large", "cost-missing", "cost-missing"]
