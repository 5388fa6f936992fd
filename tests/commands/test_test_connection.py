"""``reconciler test-connection`` end to end on a small catalog, real HTTP to loopback servers."""

from __future__ import annotations

import io
import os
import pty
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest
from click.testing import CliRunner
from loopback import Behaviour, Loopback, loopback_server

from reconciler.cli import USAGE_EXIT, main
from reconciler.commands import test_connection as command

GOOD = "sk-e2e-good-key-000111222333444"
BAD = "sk-e2e-wrong-key-999888777666555"


pytestmark = pytest.mark.loopback(valid_keys={GOOD}, echo_key=True)


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


def test_an_environment_calls_with_its_own_credentials(tmp_path: Path, server: Loopback) -> None:
    root = make_catalog(tmp_path, server)
    staging = root / "environments" / "staging"
    staging.mkdir(parents=True)
    # staging links its own key to the credential the base gives a wrong one
    (staging / "keys.yaml").write_text(
        "kind: ProviderCredential\nname: bad\napi_key: {env: E2E_GOOD_KEY}\n"
    )
    code, output = invoke("beta", "--catalog", str(root))
    assert code == 1
    assert row(output, "beta").split()[2] == "failed"
    code, output = invoke("beta", "--catalog", str(root), "--environment", "staging")
    assert code == 0, output
    assert row(output, "beta").split()[:3] == ["beta", "openai_compatible", "ok"]


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
    server.behaviour.slow_seconds = 60.0  # the answer would come long after any bound below
    start = time.perf_counter()
    code, output = invoke("alpha", "--catalog", str(root), "--timeout", "0.5")
    # generous: includes importing litellm when this is the first test of a worker
    assert time.perf_counter() - start < 30
    assert code == 1
    assert "Timeout" in row(output, "alpha")
    assert len(server.behaviour.requests) == 1  # not retried


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
    code = command.run(
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


# --- every provider end to end: catalog credentials whose base_url / endpoint_url is loopback ---

AWS_KEY_ID = "AKIAE2ELOOPBACK000001"
AWS_SECRET = "e2e/Secret+Access/Key0123456789abcdefgh"
BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
BEDROCK_PATH = "/bedrock/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"


@dataclass(frozen=True)
class Route:
    """One model of the all-providers catalog, and what the server must see for it."""

    slug: str
    provider: str  # the model's provider (the vendor, for the platform model)
    model_id: str
    credential: str  # YAML of the credential, after name and provider
    path: str
    dialect: str
    message: str  # the provider's words for a bad credential
    key: str = GOOD  # what the server sees as the credential
    platform: bool = False


def _routes(srv: Loopback) -> list[Route]:
    def api_key(provider: str, env: str = "E2E_KEY") -> str:
        return f"base_url: {srv.base(provider)}\napi_key:\n  env: {env}\n"

    bedrock = f"region: eu-central-1\nendpoint_url: {srv.base('bedrock')}\n"
    bad_token = "The security token included in the request is invalid"
    return [
        Route(
            "openai-m",
            "openai",
            "gpt-4o-mini",
            api_key("openai"),
            "/openai/v1/chat/completions",
            "openai",
            "Incorrect API key provided",
        ),
        Route(
            "anthropic-m",
            "anthropic",
            "claude-haiku-4-5",
            api_key("anthropic"),
            "/anthropic/v1/messages",
            "anthropic",
            "invalid x-api-key",
        ),
        Route(
            "google-m",
            "google",
            "gemini-2.5-flash",
            api_key("google"),
            "/google/v1beta/models/gemini-2.5-flash:generateContent",
            "gemini",
            "API key not valid",
        ),
        Route(
            "openrouter-m",
            "openrouter",
            "anthropic/claude-sonnet-4",
            api_key("openrouter"),
            "/openrouter/api/v1/chat/completions",
            "openrouter",
            "User not found",
        ),
        Route(
            "fireworks-m",
            "fireworks",
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            api_key("fireworks"),
            "/fireworks/inference/v1/chat/completions",
            "fireworks",
            "The API key you provided is invalid",
        ),
        Route(
            "together-m",
            "together",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            api_key("together"),
            "/together/v1/chat/completions",
            "together",
            "Invalid API key provided",
        ),
        Route(
            "huggingface-m",
            "huggingface",
            "tgi",
            f"endpoint_url: {srv.base('huggingface')}\napi_key:\n  env: E2E_KEY\n",
            "/huggingface/v1/chat/completions",
            "huggingface",
            "Invalid credentials in Authorization header",
        ),
        Route(
            "bedrock-key-m",
            "bedrock",
            BEDROCK_MODEL,
            bedrock + "api_key:\n  env: E2E_KEY\n",
            BEDROCK_PATH,
            "bedrock",
            bad_token,
        ),
        Route(
            "bedrock-iam-m",
            "bedrock",
            BEDROCK_MODEL,
            bedrock + "access_key_id:\n  env: E2E_AWS_KEY_ID\n"
            "secret_access_key:\n  env: E2E_AWS_SECRET\n",
            BEDROCK_PATH,
            "bedrock",
            bad_token,
            key=AWS_KEY_ID,
        ),
        Route(
            "compat-m",
            "openai_compatible",
            "qwen2.5-7b-instruct",
            api_key("openai_compatible"),
            "/v1/chat/completions",
            "openai",
            "Incorrect API key provided",
        ),
        Route(
            "platform-m",
            "x-ai",
            "x-ai/grok-4",
            api_key("openrouter"),
            "/openrouter/api/v1/chat/completions",
            "openrouter",
            "User not found",
            platform=True,
        ),
    ]


def all_providers_catalog(tmp_path: Path, routes: list[Route]) -> Path:
    root = tmp_path / "catalog"
    (root / "credentials").mkdir(parents=True)
    (root / "models").mkdir()
    for r in routes:
        cred = "c-" + r.slug
        provider = "openrouter" if r.platform else r.provider
        (root / "credentials" / f"{cred}.yaml").write_text(
            f"kind: ProviderCredential\nname: {cred}\nprovider: {provider}\n{r.credential}"
        )
        (root / "models" / f"{r.slug}.yaml").write_text(
            f"kind: Model\ndisplay_name: {r.slug}\n"
            f"deployment: {'platform' if r.platform else 'custom'}\n"
            f"provider: {r.provider}\nmodel_id: {r.model_id}\ncontext_window: 100000\n"
            + ("" if r.platform else f"credential: {cred}\n")
        )
    (root / "settings.yaml").write_text(
        "kind: Settings\ndefault_model: openai-m\nplatform_credential: c-platform-m\n"
    )
    return root


@pytest.fixture
def aws_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Loopback]:
    for var in ("AWS_BEDROCK_RUNTIME_ENDPOINT", "AWS_PROFILE", "AWS_REGION", "AWS_REGION_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("E2E_AWS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("E2E_AWS_SECRET", AWS_SECRET)
    behaviour = Behaviour(
        valid_keys={GOOD, AWS_KEY_ID}, aws_secrets={AWS_KEY_ID: AWS_SECRET}, echo_key=True
    )
    with loopback_server(behaviour) as srv:
        yield srv


def assert_each_route_called_once_the_providers_way(srv: Loopback, routes: list[Route]) -> None:
    assert sorted(
        (s.path, s.dialect, s.key, s.model, s.max_tokens) for s in srv.behaviour.requests
    ) == sorted((r.path, r.dialect, r.key, r.model_id, 1) for r in routes)
    signed = [s for s in srv.behaviour.requests if s.signature_ok is not None]
    assert [s.signature_ok for s in signed] == [True]  # the IAM pair signed with its secret


def test_every_provider_from_the_catalog_then_from_the_registry(
    tmp_path: Path, aws_server: Loopback, monkeypatch: pytest.MonkeyPatch, registry_url: str
) -> None:
    monkeypatch.setenv("E2E_KEY", GOOD)
    monkeypatch.setenv("REGISTRY_ENCRYPTION_KEY", _cli("keygen").strip().splitlines()[0])
    routes = _routes(aws_server)
    root = all_providers_catalog(tmp_path, routes)

    code, output = invoke("--catalog", str(root), "--timeout", "10")
    assert code == 0, output
    assert f"{len(routes)} ok, 0 failed ({len(routes)} models)" in output
    for r in routes:
        assert row(output, r.slug).split()[1:3] == [
            "openrouter" if r.platform else r.provider,
            "ok",
        ]
    assert_each_route_called_once_the_providers_way(aws_server, routes)

    # the same through the registry: base_url / endpoint_url survive apply and RegistryClient
    _cli("apply", "--catalog", str(root), "--db", registry_url, "--auto-approve")
    aws_server.behaviour.requests.clear()
    code, output = invoke("--db", registry_url, "--timeout", "10")
    assert code == 0, output
    assert f"{len(routes)} ok, 0 failed ({len(routes)} models)" in output
    assert_each_route_called_once_the_providers_way(aws_server, routes)


def test_every_provider_reports_its_own_auth_error_without_the_key(
    tmp_path: Path, aws_server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("E2E_KEY", BAD)  # the server quotes the key it got back in its error
    monkeypatch.setenv("E2E_AWS_KEY_ID", "AKIAE2EWRONGKEY000002")
    routes = _routes(aws_server)
    root = all_providers_catalog(tmp_path, routes)

    code, output = invoke("--catalog", str(root), "--timeout", "10")
    assert code == 1
    assert f"0 ok, {len(routes)} failed ({len(routes)} models)" in output
    for r in routes:
        line = row(output, r.slug)
        assert "failed" in line
        assert r.message in line, line
    for secret in (BAD, "AKIAE2EWRONGKEY000002", AWS_SECRET):
        for part in (secret, secret[:12], secret[-12:]):
            assert part not in output
    assert len(aws_server.behaviour.requests) == len(routes)


# --- the display on a terminal: a live progress bar on stderr, a rich table on stdout ----------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
_TABLE_CHARS = re.compile(r"[\s\u2500-\u257f]")  # whitespace and box drawing


class Terminal:
    """A real pseudo-terminal: ``file`` is its slave side (``isatty()`` is true); a thread
    drains the master side so that writes never block; ``close()`` returns what was shown."""

    def __init__(self) -> None:
        master, slave = pty.openpty()
        self._master = master
        self.fd = slave
        self.file: TextIO = os.fdopen(slave, "w", encoding="utf-8", closefd=False)
        self._data = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the slave side is closed and everything was read
                return
            if not chunk:
                return
            self._data.extend(chunk)

    def close(self) -> str:
        """Everything written, escape sequences removed."""
        self.file.flush()
        os.close(self.fd)
        self._reader.join(10)
        os.close(self._master)
        return _ANSI.sub("", self._data.decode("utf-8", "replace"))


def flat(text: str) -> str:
    """The text without whitespace and table borders: a secret folded over two table lines
    would reappear here."""
    return _TABLE_CHARS.sub("", text)


@pytest.fixture
def terminal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no error message is folded
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)


def _two_models(tmp_path: Path, srv: Loopback) -> Path:
    root = make_catalog(tmp_path, srv)  # alpha: good key; beta: a wrong key the server echoes
    for name in ("gamma", "delta"):
        (root / "models" / f"{name}.yaml").unlink()
    return root


def test_terminal_shows_progress_on_stderr_and_a_table_on_stdout(
    tmp_path: Path, server: Loopback, terminal_env: None
) -> None:
    root = _two_models(tmp_path, server)
    out, err = Terminal(), Terminal()
    assert out.file.isatty()
    assert err.file.isatty()
    try:
        code = command.run(
            slugs=[],
            changed=False,
            db_url=None,
            catalog_dir=str(root),
            timeout=10.0,
            out=out.file,
            err=err.file,
        )
    finally:
        shown_out, shown_err = out.close(), err.close()
    assert code == 1
    # the progress display, on stderr only, ends with every test counted
    assert "testing connections" in shown_err
    assert "0/2" in shown_err
    assert re.search(r"2/2 .*(alpha: ok|beta: failed)", shown_err), shown_err
    assert "testing connections" not in shown_out
    # the final table, on stdout only, as a rich table (box drawing), with the summary
    assert "\u2502" in shown_out or "\u2503" in shown_out
    for heading in ("Model", "Provider", "Result", "Latency", "Error"):
        assert heading in shown_out
    assert "MODEL  PROVIDER" not in shown_out  # not the plain table
    assert "Incorrect API key provided" in shown_out
    assert "1 ok, 1 failed (2 models)" in shown_out
    assert "Incorrect API key" not in shown_err
    # no secret on either stream, not even folded over two lines
    for shown in (shown_out, shown_err):
        for secret in (BAD, GOOD):
            for part in (secret, secret[:12], secret[-12:]):
                assert part not in flat(shown)
    assert len(server.behaviour.requests) == 2


def test_piped_output_has_no_progress_and_the_plain_table(
    tmp_path: Path, server: Loopback, terminal_env: None
) -> None:
    root = _two_models(tmp_path, server)
    out, err = Terminal(), io.StringIO()  # stdout a terminal, stderr piped: no live display
    try:
        code = command.run(
            slugs=[],
            changed=False,
            db_url=None,
            catalog_dir=str(root),
            timeout=10.0,
            out=out.file,
            err=err,
        )
    finally:
        shown_out = out.close()
    assert code == 1
    assert err.getvalue() == ""
    assert "testing connections" not in shown_out
    assert shown_out.splitlines()[0].split() == ["MODEL", "PROVIDER", "RESULT", "LATENCY", "ERROR"]
    assert "1 ok, 1 failed (2 models)" in shown_out
    assert BAD not in shown_out


def test_cli_on_a_terminal(
    tmp_path: Path, server: Loopback, terminal_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line decides by the process's own stdout and stderr."""
    root = _two_models(tmp_path, server)
    out, err = Terminal(), Terminal()
    monkeypatch.setattr(sys, "stdout", out.file)
    monkeypatch.setattr(sys, "stderr", err.file)
    try:
        with pytest.raises(SystemExit) as exited:
            main.main(["test-connection", "--catalog", str(root)], prog_name="reconciler")
    finally:
        monkeypatch.undo()
        shown_out, shown_err = out.close(), err.close()
    assert exited.value.code == 1, shown_out + shown_err
    assert "testing connections" in shown_err
    assert "2/2" in shown_err
    assert "1 ok, 1 failed (2 models)" in shown_out
    assert "\u2502" in shown_out or "\u2503" in shown_out
    for shown in (shown_out, shown_err):
        assert BAD not in flat(shown)
        assert BAD[-12:] not in flat(shown)


def test_registry_slugs_are_shown_inert(
    tmp_path: Path, terminal_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slug the application wrote (ESC, a line break, rich markup) cannot rewrite the
    terminal, forge a line, or break the progress display."""
    from engine_helpers import insert_app_model

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _cli("db", "upgrade", "--db", db)
    hostile = "[/]x\x1b[2J\nApply complete: 9 created"
    insert_app_model(db, hostile, provider="openai")
    code, output = invoke("--db", db)  # piped: the plain table
    assert "\x1b" not in output
    assert "[/]x\\u001b[2J\\nApply complete" in output
    assert not any(line.startswith("Apply complete") for line in output.splitlines())
    out, err = Terminal(), Terminal()  # a terminal: the rich table and the progress bar
    try:
        code = command.run(
            slugs=[],
            changed=False,
            db_url=db,
            catalog_dir=None,
            timeout=5.0,
            out=out.file,
            err=err.file,
        )
    finally:
        shown_out, shown_err = out.close(), err.close()
    assert code == 1
    assert "[/]x\\u001b[2J\\nApply" in flat(shown_out).replace("\u2502", "")
    assert "[/]x\\u001b[2J\\nApply complete: 9 created: failed" in shown_err


def test_catalog_and_a_typed_db_are_refused_without_changed(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    code, output = invoke("--catalog", str(catalog), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert code == USAGE_EXIT
    assert "--catalog and --db each name the models to test: pass one of them" in output
    assert not (tmp_path / "r.db").exists()


def test_catalog_wins_over_the_environments_database_url(
    tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REGISTRY_DATABASE_URL is set in CI for other commands: --catalog still tests the catalog
    root = make_catalog(tmp_path, server)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    code, output = invoke("alpha", "--catalog", str(root))
    assert code == 0, output
    assert "1 ok, 0 failed (1 model)" in output
    assert [r.body["model"] for r in server.behaviour.requests] == ["local-alpha"]
    assert not (tmp_path / "absent.db").exists()
