"""The rendered LiteLLM config, served by the real LiteLLM proxy.

One proxy start per test run (one test: under xdist a module fixture would start one per
worker). The catalog has a model for each of the nine providers and two platform models, every
credential pointing at a loopback server mount that speaks that provider's wire format. The
proxy runs offline (LITELLM_LOCAL_MODEL_COST_MAP=True), with a random ``sk-`` master key and no
database; the credentials' keys reach it only through the environment, from the file that
``litellm-config --secrets-out`` writes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from loopback import Behaviour, Loopback, loopback_server

from reconciler.commands.litellm_config import litellm_config

# What the proxy server imports at start-up beyond litellm itself (see pyproject's [test]).
PROXY_MODULES = (
    "fastapi",
    "uvicorn",
    "uvloop",
    "backoff",
    "orjson",
    "apscheduler",
    "fastapi_sso",
    "jwt",
    "multipart",
    "websockets",
    "mcp",
    "soundfile",
    "expression",
    "semver",
    "rq",
)
START_LIMIT = 300.0  # seconds: a deadline for a hung start, not a speed assertion
REGION = "eu-central-1"
AWS_KEY_ID = "AKIAPROXYLOOPBACK001"
AWS_SECRET = "proxy/Secret+Access/Key0123456789abcdef"


@dataclass(frozen=True)
class Route:
    """One model of the test catalog and what the loopback server must see for it."""

    slug: str
    provider: str
    model_id: str
    dialect: str
    path: str
    deployment: str = "custom"


ROUTES = (
    Route("m-openai", "openai", "gpt-4o-mini", "openai", "/openai/v1/chat/completions"),
    Route("m-anthropic", "anthropic", "claude-haiku-4-5", "anthropic", "/anthropic/v1/messages"),
    Route(
        "m-google",
        "google",
        "gemini-2.5-flash",
        "gemini",
        "/google/v1beta/models/gemini-2.5-flash:generateContent",
    ),
    Route(
        "m-openrouter",
        "openrouter",
        "meta-llama/llama-3.3-70b-instruct",
        "openrouter",
        "/openrouter/api/v1/chat/completions",
    ),
    Route(
        "m-fireworks",
        "fireworks",
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
        "fireworks",
        "/fireworks/inference/v1/chat/completions",
    ),
    Route(
        "m-together",
        "together",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "together",
        "/together/v1/chat/completions",
    ),
    Route(
        "m-bedrock",
        "bedrock",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "bedrock",
        "/bedrock/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
    ),
    Route(
        "m-huggingface",
        "huggingface",
        "meta-llama/Llama-3.1-8B-Instruct",
        "huggingface",
        "/huggingface/v1/chat/completions",
    ),
    Route("m-compatible", "openai_compatible", "qwen2.5-7b", "openai", "/v1/chat/completions"),
    Route(
        "p-grok",
        "x-ai",
        "x-ai/grok-4",
        "openrouter",
        "/openrouter/api/v1/chat/completions",
        "platform",
    ),
    Route(
        "p-gpt",
        "openai",
        "openai/gpt-5.5",
        "openrouter",
        "/openrouter/api/v1/chat/completions",
        "platform",
    ),
)
DEFAULT = "m-anthropic"
RENAMED = ("m-openai", "old-openai")  # (slug, previous slug)
DISABLED = "m-disabled"


def key_of(provider: str) -> str:
    return f"sk-proxy-{provider.replace('_', '-')}-0123456789"


def _proxy_missing() -> str | None:
    missing = [m for m in PROXY_MODULES if importlib.util.find_spec(m) is None]
    return ", ".join(missing) or None


def _require_proxy() -> None:
    missing = _proxy_missing()
    if missing is None:
        return
    message = f"the LiteLLM proxy's dependencies are not installed (missing: {missing})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (mandatory when CI=true)")
    pytest.skip(message + ": pip install -c constraints.txt -e '.[test]'")


def _credential(provider: str, srv: Loopback) -> str:
    name = f"c-{provider.replace('_', '-')}"
    lines = [
        "kind: ProviderCredential",
        f"name: {name}",
        f"provider: {provider}",
        f"description: loopback {provider}",
    ]
    if provider == "bedrock":
        lines += [
            f"region: {REGION}",
            f"endpoint_url: {srv.base('bedrock')}",
            "access_key_id: {env: PROXY_TEST_AWS_KEY_ID}",
            "secret_access_key: {env: PROXY_TEST_AWS_SECRET}",
        ]
    else:
        url_field = "endpoint_url" if provider == "huggingface" else "base_url"
        lines += [
            f"{url_field}: {srv.base(provider)}",
            f"api_key: {{env: PROXY_TEST_{provider.upper()}_KEY}}",
        ]
    return "\n".join(lines) + "\n"


def _model(route: Route, **extra: Any) -> str:
    doc: dict[str, Any] = {
        "kind": "Model",
        "display_name": route.slug.upper(),
        "slug": route.slug,
        "deployment": route.deployment,
        "provider": route.provider,
        "model_id": route.model_id,
        "category": "standard",
        "context_window": 1000 + len(route.slug),
        "max_output_tokens": 100 + len(route.slug),
        "capabilities": {"tool_use": True, "vision": route.deployment == "platform"},
        "cost": {"input_per_token": 1e-6 * len(route.slug), "output_per_token": 2e-6},
    }
    if route.deployment == "custom":
        doc["credential"] = f"c-{route.provider.replace('_', '-')}"
    doc.update(extra)
    return json.dumps(doc) + "\n"  # JSON is YAML


def write_catalog(root: Path, srv: Loopback) -> None:
    providers = sorted({r.provider for r in ROUTES if r.deployment == "custom"})
    for provider in providers:
        (root / f"cred-{provider}.yaml").write_text(_credential(provider, srv))
    for route in ROUTES:
        extra = {"previous_slugs": [RENAMED[1]]} if route.slug == RENAMED[0] else {}
        (root / f"{route.slug}.yaml").write_text(_model(route, **extra))
    disabled = Route(DISABLED, "openai", "gpt-4o", "openai", "")
    (root / f"{DISABLED}.yaml").write_text(_model(disabled, enabled=False))
    (root / "settings.yaml").write_text(
        f"kind: Settings\ndefault_model: {DEFAULT}\nplatform_credential: c-openrouter\n"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _dotenv(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {k: v for k, v in pairs}


@dataclass
class Proxy:
    url: str
    master_key: str
    loopback: Loopback
    config_file: Path
    catalog: Path

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        import httpx

        response = httpx.request(
            method,
            self.url + path,
            json=body,
            headers={"Authorization": f"Bearer {self.master_key}"},
            timeout=120,
        )
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text


def _wait_alive(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-4000:]
            pytest.fail(f"the LiteLLM proxy exited ({process.returncode}):\n{tail}")
        try:
            if httpx.get(url + "/health/liveliness", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the LiteLLM proxy did not start in {START_LIMIT} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    _require_proxy()
    work = tmp_path_factory.mktemp("litellm-proxy")
    catalog = work / "catalog"
    catalog.mkdir()
    behaviour = Behaviour(
        valid_keys={key_of(r.provider) for r in ROUTES} | {AWS_KEY_ID},
        aws_secrets={AWS_KEY_ID: AWS_SECRET},
    )
    with loopback_server(behaviour) as srv:
        write_catalog(catalog, srv)
        keys = {
            f"PROXY_TEST_{p.upper()}_KEY": key_of(p)
            for p in {r.provider for r in ROUTES}
            if p != "bedrock"
        }
        keys |= {"PROXY_TEST_AWS_KEY_ID": AWS_KEY_ID, "PROXY_TEST_AWS_SECRET": AWS_SECRET}
        config_file, env_file = work / "config.yaml", work / "litellm.env"
        saved = {k: os.environ.get(k) for k in keys}
        os.environ.update(keys)  # the deploy job's environment
        try:
            code = litellm_config(
                catalog_dir=str(catalog),
                out_file=str(config_file),
                check=False,
                secrets_out=str(env_file),
            )
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        assert code == 0
        master_key = "sk-" + secrets.token_hex(16)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "PROXY_TEST_", "OPENAI_", "ANTHROPIC_", "AWS_"))
        }
        env |= _dotenv(env_file)  # the keys reach the proxy only through the secrets file
        env |= {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_MASTER_KEY": master_key,
            "LITELLM_TELEMETRY": "False",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        port = _free_port()
        log = work / "proxy.log"
        litellm = Path(sys.executable).with_name("litellm")
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [
                    str(litellm),
                    "--config",
                    str(config_file),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                cwd=work,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_alive(process, url, log)
            yield Proxy(url, master_key, srv, config_file, catalog)
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)


ENABLED = sorted(r.slug for r in ROUTES)


def _chat(proxy: Proxy, model: str) -> Any:
    before = len(proxy.loopback.behaviour.requests)
    status, body = proxy.call(
        "POST",
        "/v1/chat/completions",
        {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1},
    )
    assert status == 200, f"{model}: {status} {body}"
    seen = proxy.loopback.behaviour.requests[before:]
    assert len(seen) == 1, f"{model}: the loopback server saw {len(seen)} requests"
    return seen[0]


def test_the_real_proxy_serves_the_rendered_catalog(proxy: Proxy) -> None:
    # /v1/models: exactly the enabled models by slug (no disabled model, no alias)
    status, models = proxy.call("GET", "/v1/models")
    assert status == 200, models
    assert sorted(m["id"] for m in models["data"]) == ENABLED

    # /model/info: the catalog's limits and prices
    status, info = proxy.call("GET", "/model/info")
    assert status == 200, info
    by_slug = {entry["model_name"]: entry["model_info"] for entry in info["data"]}
    assert sorted(by_slug) == ENABLED
    for slug, got in by_slug.items():
        assert got["max_input_tokens"] == 1000 + len(slug), slug
        assert got["max_output_tokens"] == 100 + len(slug), slug
        assert got["max_tokens"] == 100 + len(slug), slug
        assert got["input_cost_per_token"] == pytest.approx(1e-6 * len(slug)), slug
        assert got["output_cost_per_token"] == pytest.approx(2e-6), slug
        assert got["supports_function_calling"] is True, slug
        assert got["supports_vision"] is slug.startswith("p-"), slug
        assert got["display_name"] == slug.upper(), slug

    # every route, through the proxy to the provider's wire format, with the key from the
    # environment
    for route in ROUTES:
        seen = _chat(proxy, route.slug)
        assert (seen.dialect, seen.path) == (route.dialect, route.path), route.slug
        if route.provider == "bedrock":
            assert (seen.key, seen.region, seen.signature_ok) == (AWS_KEY_ID, REGION, True)
        else:
            expected = key_of("openrouter" if route.deployment == "platform" else route.provider)
            assert seen.key == expected, route.slug
        assert seen.model == route.model_id, route.slug

    # aliases: default and a previous slug
    assert _chat(proxy, "default").path == "/anthropic/v1/messages"
    renamed = _chat(proxy, RENAMED[1])
    assert (renamed.path, renamed.model) == ("/openai/v1/chat/completions", "gpt-4o-mini")

    # a disabled model is not served
    status, _body = proxy.call(
        "POST",
        "/v1/chat/completions",
        {"model": DISABLED, "messages": [{"role": "user", "content": "ping"}]},
    )
    assert status >= 400
