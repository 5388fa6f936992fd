"""``reconciler test-connection`` end to end on a small catalog, real HTTP to loopback servers."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
from loopback import Behaviour, Loopback, loopback_server

from reconciler.commands import test_connection as command

GOOD = "sk-e2e-good-key-000111222333444"
BAD = "sk-e2e-wrong-key-999888777666555"


@pytest.fixture
def server() -> Iterator[Loopback]:
    with loopback_server(Behaviour(valid_keys={GOOD}, echo_key=True)) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    monkeypatch.setenv("E2E_GOOD_KEY", GOOD)
    monkeypatch.setenv("E2E_BAD_KEY", BAD)


def _model(name: str, model_id: str, credential: str | None, provider: str, **extra: str) -> str:
    lines = [
        "kind: Model",
        f"display_name: {name}",
        f"deployment: {extra.get('deployment', 'custom')}",
        f"provider: {provider}",
        f"model_id: {model_id}",
        "context_window: 100000",
    ]
    if credential:
        lines.append(f"credential: {credential}")
    if extra.get("enabled") == "false":
        lines.append("enabled: false")
    return "\n".join(lines) + "\n"


def make_catalog(tmp_path: Path, srv: Loopback) -> Path:
    root = tmp_path / "catalog"
    (root / "credentials").mkdir(parents=True)
    (root / "models").mkdir()
    creds = {
        "good": ("openai_compatible", "E2E_GOOD_KEY", f"base_url: {srv.openai_base}\n"),
        "bad": ("openai_compatible", "E2E_BAD_KEY", f"base_url: {srv.openai_base}\n"),
        "ant": ("anthropic", "E2E_GOOD_KEY", ""),
        "missing": ("anthropic", "E2E_NOT_SET", ""),
    }
    for name, (provider, env, extra) in creds.items():
        (root / "credentials" / f"{name}.yaml").write_text(
            f"kind: ProviderCredential\nname: {name}\nprovider: {provider}\n{extra}"
            f"api_key:\n  env: {env}\n"
        )
    models = {
        "alpha": _model("Alpha", "local-alpha", "good", "openai_compatible"),
        "beta": _model("Beta", "local-beta", "bad", "openai_compatible"),
        "gamma": _model("Gamma", "claude-haiku-4-5", "ant", "anthropic"),
        "delta": _model("Delta", "claude-haiku-4-5", "missing", "anthropic"),
        "off": _model("Zeta", "local-off", "bad", "openai_compatible", enabled="false"),
    }
    for name, text in models.items():
        (root / "models" / f"{name}.yaml").write_text(text)
    (root / "settings.yaml").write_text("kind: Settings\ndefault_model: alpha\n")
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["test-connection", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def row(output: str, slug: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(slug + " "))


def test_catalog_mode_table_and_exit_code(
    tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_BASE", server.anthropic_base)
    root = make_catalog(tmp_path, server)
    code, output = invoke("--catalog", str(root), "--timeout", "5")
    assert code == 1
    header = output.splitlines()[0].split()
    assert header == ["MODEL", "PROVIDER", "RESULT", "LATENCY", "ERROR"]
    assert row(output, "alpha").split()[:3] == ["alpha", "openai_compatible", "ok"]
    assert row(output, "gamma").split()[:3] == ["gamma", "anthropic", "ok"]
    beta = row(output, "beta")
    assert beta.split()[:3] == ["beta", "openai_compatible", "failed"]
    assert "Incorrect API key provided" in beta
    delta = row(output, "delta")
    assert "failed" in delta
    assert "not tested" in delta
    assert "E2E_NOT_SET" in delta
    assert "zeta " not in output  # disabled models are skipped unless named
    assert "2 ok, 2 failed (4 models)" in output
    # the server echoed the wrong key: it must not reach the output
    assert BAD not in output
    assert BAD[3:15] not in output
    assert GOOD not in output
    # one call per tested model, 1 token each
    bodies = [r.body for r in server.behaviour.requests]
    assert sorted(b["model"] for b in bodies) == ["claude-haiku-4-5", "local-alpha", "local-beta"]
    assert all(b["max_tokens"] == 1 for b in bodies)


def test_named_slugs_only_and_exit_zero(tmp_path: Path, server: Loopback) -> None:
    root = make_catalog(tmp_path, server)
    code, output = invoke("alpha", "--catalog", str(root))
    assert code == 0
    assert "1 ok, 0 failed (1 model)" in output
    assert [r.body["model"] for r in server.behaviour.requests] == ["local-alpha"]


def test_unknown_slug_is_an_error(tmp_path: Path, server: Loopback) -> None:
    root = make_catalog(tmp_path, server)
    code, output = invoke("nope", "--catalog", str(root))
    assert code == 1
    assert "no model with slug 'nope'" in output
    assert server.behaviour.requests == []


def test_timeout_reported(tmp_path: Path, server: Loopback) -> None:
    root = make_catalog(tmp_path, server)
    (root / "models" / "alpha.yaml").write_text(
        _model("Alpha", "slow-alpha", "good", "openai_compatible")
    )
    start = time.perf_counter()
    code, output = invoke("alpha", "--catalog", str(root), "--timeout", "0.5")
    assert time.perf_counter() - start < 3
    assert code == 1
    assert "Timeout" in row(output, "alpha")


def test_platform_models_use_the_platform_credential(
    tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_BASE", server.openai_base)
    root = make_catalog(tmp_path, server)
    (root / "credentials" / "or.yaml").write_text(
        "kind: ProviderCredential\nname: platform-or\nprovider: openrouter\n"
        "api_key:\n  env: E2E_GOOD_KEY\n"
    )
    (root / "models" / "plat.yaml").write_text(
        _model("Plat", "openai/gpt-4o", None, "openai", deployment="platform")
    )
    (root / "settings.yaml").write_text(
        "kind: Settings\ndefault_model: alpha\nplatform_credential: platform-or\n"
    )
    out = io.StringIO()
    code = command.test_connection(
        slugs=["plat"], changed=False, db_url=None, catalog_dir=str(root), timeout=5.0, out=out
    )
    assert code == 0, out.getvalue()
    assert row(out.getvalue(), "plat").split()[:3] == ["plat", "openrouter", "ok"]
    [seen] = server.behaviour.requests
    assert seen.body["model"] == "openai/gpt-4o"
    assert seen.headers["authorization"] == f"Bearer {GOOD}"


def test_custom_model_without_credential_uses_the_env_fallback(
    tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_BASE", server.anthropic_base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", GOOD)
    root = make_catalog(tmp_path, server)
    (root / "models" / "gamma.yaml").write_text(
        _model("Gamma", "claude-haiku-4-5", None, "anthropic")
    )
    code, output = invoke("gamma", "--catalog", str(root))
    assert code == 0, output
    [seen] = server.behaviour.requests
    assert seen.headers["x-api-key"] == GOOD


def test_no_models(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    root.mkdir()
    code, output = invoke("--catalog", str(root))
    assert code == 0
    assert "no models to test" in output


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_db_mode_and_changed(
    tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", _cli("keygen").strip().splitlines()[0])
    root = tmp_path / "catalog"
    (root / "credentials").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "credentials" / "good.yaml").write_text(
        "kind: ProviderCredential\nname: good\nprovider: openai_compatible\n"
        f"base_url: {server.openai_base}\napi_key:\n  env: E2E_GOOD_KEY\n"
    )
    for name in ("Alpha", "Beta"):
        (root / "models" / f"{name}.yaml").write_text(
            _model(name, f"local-{name.lower()}", "good", "openai_compatible")
        )
    (root / "settings.yaml").write_text("kind: Settings\ndefault_model: alpha\n")
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _cli("db", "upgrade", "--db", db)
    _cli("apply", "--catalog", str(root), "--db", db, "--auto-approve")

    # the live registry: secrets decrypted by RegistryClient, every enabled model tested
    code, output = invoke("--db", db)
    assert code == 0, output
    assert "2 ok, 0 failed (2 models)" in output
    assert {r.headers["authorization"] for r in server.behaviour.requests} == {f"Bearer {GOOD}"}

    # nothing changed since apply: nothing to test
    code, output = invoke("--changed", "--catalog", str(root), "--db", db)
    assert code == 0, output
    assert "no models to test" in output

    # change one model: only it is tested
    server.behaviour.requests.clear()
    (root / "models" / "Beta.yaml").write_text(
        _model("Beta", "local-beta-2", "good", "openai_compatible")
    )
    code, output = invoke("--changed", "--catalog", str(root), "--db", db)
    assert code == 0, output
    assert [r.body["model"] for r in server.behaviour.requests] == ["local-beta-2"]

    # change the credential's key: every model using it is tested (from the catalog)
    server.behaviour.requests.clear()
    monkeypatch.setenv("E2E_OTHER_KEY", BAD)
    (root / "credentials" / "good.yaml").write_text(
        (root / "credentials" / "good.yaml").read_text().replace("E2E_GOOD_KEY", "E2E_OTHER_KEY")
    )
    code, output = invoke("--changed", "--catalog", str(root), "--db", db)
    assert code == 1, output
    assert "0 ok, 2 failed (2 models)" in output
    assert BAD not in output
