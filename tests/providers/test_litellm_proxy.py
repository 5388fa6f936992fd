"""The rendered LiteLLM config, served by the real LiteLLM proxy.

One proxy start per test run (one test: under xdist a module fixture would start one per
worker). The catalog is the example catalog, with its credentials' base_url pointed at a
loopback server (as a gateway would be), plus a model for each of the nine providers, each
credential pointing at the loopback mount that speaks that provider's wire format. The proxy
runs offline (LITELLM_LOCAL_MODEL_COST_MAP=True), with a random ``sk-`` master key and no
database; the credentials' keys reach it only through the environment, from the file that
``litellm-config --secrets-out`` writes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from loopback import Behaviour, Loopback, loopback_server
from needs import unavailable

from reconciler.commands.litellm_config import litellm_config
from reconciler.state.desired import load_desired
from reconciler.state.records import ModelState

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
)
EXAMPLE = Path(__file__).resolve().parents[2] / "catalog"
DEFAULT = ("gemini-3-1-pro", "google/gemini-3.1-pro-preview")  # the example's Settings
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
    unavailable(
        f"the LiteLLM proxy's dependencies are not installed (missing: {missing})",
        "pip install -c constraints.txt -e '.[test]'",
    )


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
        "capabilities": {"tool_use": True},
        "cost": {"input_per_token": 1e-6 * len(route.slug), "output_per_token": 2e-6},
    }
    doc["credential"] = f"c-{route.provider.replace('_', '-')}"
    doc.update(extra)
    return json.dumps(doc) + "\n"  # JSON is YAML


def write_catalog(root: Path, srv: Loopback) -> None:
    shutil.copytree(EXAMPLE, root)
    for path in sorted((root / "credentials").glob("*.yaml")):
        provider = yaml.safe_load(path.read_text())["provider"]
        with path.open("a") as handle:  # the example's credentials, through a gateway
            handle.write(f"base_url: {srv.base(provider)}\n")
    for provider in sorted({r.provider for r in ROUTES}):
        (root / f"cred-{provider}.yaml").write_text(_credential(provider, srv))
    for route in ROUTES:
        extra = {"previous_slugs": [RENAMED[1]]} if route.slug == RENAMED[0] else {}
        (root / f"{route.slug}.yaml").write_text(_model(route, **extra))
    disabled = Route(DISABLED, "openai", "gpt-4o", "openai", "")
    (root / f"{DISABLED}.yaml").write_text(_model(disabled, enabled=False))


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
        keys |= {f"{p.upper()}_API_KEY": key_of(p) for p in ("openai", "anthropic", "openrouter")}
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
            if not k.startswith(
                ("DATABASE_", "PROXY_TEST_", "OPENAI_", "ANTHROPIC_", "OPENROUTER_")
            )
            and not k.startswith("AWS_")
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


def _expected_route(slug: str, model: ModelState) -> tuple[str, str, str, str]:
    """(dialect, path, key, model id) the loopback server must see for a model."""
    mine = {r.slug: r for r in ROUTES}
    if slug in mine:
        route = mine[slug]
        key = AWS_KEY_ID if route.provider == "bedrock" else key_of(route.provider)
        return route.dialect, route.path, key, route.model_id
    model_id = str(model.get("model_id"))
    if model.get("deployment") == "platform":
        return "openrouter", "/openrouter/api/v1/chat/completions", key_of("openrouter"), model_id
    provider = str(model.get("provider"))
    [route] = [r for r in ROUTES if r.provider == provider]  # openai or anthropic: fixed paths
    return route.dialect, route.path, key_of(provider), model_id


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
    desired = load_desired(proxy.catalog)
    enabled = {slug: m for slug, m in desired.models.items() if m.get("enabled")}
    assert DISABLED in desired.models
    assert DISABLED not in enabled
    assert len(enabled) == len(ROUTES) + 15  # the example's 15 models and ours

    # /v1/models: exactly the enabled models by slug (no disabled model, no alias)
    status, models = proxy.call("GET", "/v1/models")
    assert status == 200, models
    assert sorted(m["id"] for m in models["data"]) == sorted(enabled)

    # /model/info: the catalog's limits, prices and capabilities
    status, info = proxy.call("GET", "/model/info")
    assert status == 200, info
    by_slug = {entry["model_name"]: entry["model_info"] for entry in info["data"]}
    assert sorted(by_slug) == sorted(enabled)
    for slug, got in by_slug.items():
        want = enabled[slug]
        assert got["max_input_tokens"] == want.get("context_window"), slug
        assert got["max_output_tokens"] == want.get("max_output_tokens"), slug
        assert got["max_tokens"] == want.get("max_output_tokens"), slug
        assert got["input_cost_per_token"] == want.get("cost.input_per_token"), slug
        assert got["output_cost_per_token"] == want.get("cost.output_per_token"), slug
        assert got["supports_function_calling"] is want.get("capabilities.tool_use"), slug
        assert got["supports_vision"] is want.get("capabilities.vision"), slug
        assert got["supports_response_schema"] is want.get("capabilities.json_mode"), slug
        assert got["display_name"] == want.get("display_name"), slug
        assert got.get("category") == want.get("category"), slug  # our own keys, passed through
        assert got.get("reasoning_parameter") == want.get("capabilities.reasoning"), slug
        assert got.get("description") == want.get("description"), slug
    assert by_slug["m-openai"]["max_input_tokens"] == 1000 + len("m-openai")  # as written

    # every model, through the proxy to its provider's wire format, with the key from the
    # environment (for Bedrock: SigV4, verified with the secret, for the credential's region)
    for slug, model in sorted(enabled.items()):
        dialect, path, key, model_id = _expected_route(slug, model)
        seen = _chat(proxy, slug)
        assert (seen.dialect, seen.path, seen.key, seen.model) == (dialect, path, key, model_id)
        if dialect == "bedrock":
            assert (seen.region, seen.signature_ok) == (REGION, True)

    # aliases: default and a previous slug
    default = _chat(proxy, "default")
    assert (default.path, default.model) == ("/openrouter/api/v1/chat/completions", DEFAULT[1])
    renamed = _chat(proxy, RENAMED[1])
    assert (renamed.path, renamed.model) == ("/openai/v1/chat/completions", "gpt-4o-mini")

    # a disabled model is not served
    before = len(proxy.loopback.behaviour.requests)
    status, _body = proxy.call(
        "POST",
        "/v1/chat/completions",
        {"model": DISABLED, "messages": [{"role": "user", "content": "ping"}]},
    )
    assert status >= 400
    assert len(proxy.loopback.behaviour.requests) == before
