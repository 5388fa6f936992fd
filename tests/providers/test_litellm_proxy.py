"""The rendered LiteLLM configs, served by the real LiteLLM proxy.

The catalog is the example catalog, with its credentials' base_url pointed at a loopback server
(as a gateway would be), plus a model for each of the nine providers, each credential pointing
at the loopback mount that speaks that provider's wire format. Its environments are the
example's (catalog/environments/*): the base and each environment render their own config, and
each config is served by its own proxy. The proxies start in parallel, once per test run (one
test: under xdist a module fixture would start them once per worker). They run offline
(LITELLM_LOCAL_MODEL_COST_MAP=True), each with a random ``sk-`` master key and no database; the
credentials' keys reach a proxy only through the environment, from the file that
``litellm-config --secrets-out`` writes for that environment. Every environment variable a
credential references gets its own key, so the loopback server sees which one a call used.
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from loopback import Behaviour, Loopback, loopback_server
from needs import unavailable

from reconciler.catalog.environments import find_environments
from reconciler.commands.litellm_config import litellm_config
from reconciler.pipeline import load
from reconciler.state.desired import DesiredState
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


EXAMPLE = Path(__file__).resolve().parents[2] / "catalog"
BASE = ""  # the base catalog, without an environment
ENVIRONMENTS = (BASE, *find_environments(EXAMPLE).names)
DEFAULT_ROUTE = "google/gemini-3.1-pro-preview"  # the example's default model, on OpenRouter
RENAMED = ("m-openai", "old-openai")  # (slug, previous slug)
DISABLED = "m-disabled"


def key_for(variable: str) -> str:
    """The key the environment variable ``variable`` holds in this test."""
    return "sk-proxy-" + variable.lower().replace("_", "-")


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
    shutil.copytree(EXAMPLE, root)  # environments/ included
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


def _env_variables(desired: DesiredState) -> set[str]:
    return {
        str(spec.ref["env"])
        for cred in desired.credentials.values()
        for spec in cred.secrets.values()
        if "env" in spec.ref
    }


def _deploy_environment(desired: Mapping[str, DesiredState]) -> dict[str, str]:
    """The deploy job's environment: a distinct key for every variable any environment reads
    (the AWS pair is the loopback server's, to verify SigV4 signatures)."""
    names = set().union(*(_env_variables(d) for d in desired.values()))
    keys = {name: key_for(name) for name in sorted(names)}
    return keys | {"PROXY_TEST_AWS_KEY_ID": AWS_KEY_ID, "PROXY_TEST_AWS_SECRET": AWS_SECRET}


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
    """One environment's rendered config, served by its own proxy."""

    environment: str
    url: str
    master_key: str
    loopback: Loopback
    desired: DesiredState
    keys: Mapping[str, str]  # the deploy job's environment: variable -> value
    config_text: str
    process: subprocess.Popen[bytes]
    log: Path

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


def _render(
    catalog: Path, environment: str, work: Path, keys: Mapping[str, str]
) -> tuple[Path, Path]:
    """``litellm-config --out --secrets-out`` for one environment, in the deploy job's
    environment; returns the config and the secrets file."""
    name = environment or "base"
    config_file, env_file = work / f"{name}.config.yaml", work / f"{name}.env"
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        code = litellm_config(
            catalog_dir=str(catalog),
            environment=environment or None,
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
    assert code == 0, environment
    return config_file, env_file


def _start(
    config_file: Path, env_file: Path, work: Path
) -> tuple[subprocess.Popen[bytes], str, str, Path]:
    master_key = "sk-" + secrets.token_hex(16)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "PROXY_TEST_", "AWS_")) and not k.endswith("_API_KEY")
    }
    env |= _dotenv(env_file)  # the keys reach the proxy only through the secrets file
    env |= {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": master_key,
        "LITELLM_TELEMETRY": "False",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    port = _free_port()
    log = config_file.with_suffix(".log")
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
    return process, f"http://127.0.0.1:{port}", master_key, log


def _wait_alive(proxy: Proxy) -> None:
    import httpx

    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if proxy.process.poll() is not None:
            tail = proxy.log.read_text()[-4000:]
            pytest.fail(
                f"the LiteLLM proxy of {proxy.environment or 'the base'} exited "
                f"({proxy.process.returncode}):\n{tail}"
            )
        try:
            if httpx.get(proxy.url + "/health/liveliness", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(
        f"the LiteLLM proxy did not start in {START_LIMIT} s:\n{proxy.log.read_text()[-4000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Proxy]]:
    """environment ("" for the base) -> its proxy, all started at once."""
    _require_proxy()
    work = tmp_path_factory.mktemp("litellm-proxy")
    catalog = work / "catalog"
    behaviour = Behaviour(valid_keys=set(), aws_secrets={AWS_KEY_ID: AWS_SECRET})
    with loopback_server(behaviour) as srv:
        write_catalog(catalog, srv)
        desired = {env: load(catalog, env or None).desired for env in ENVIRONMENTS}
        keys = _deploy_environment(desired)
        assert behaviour.valid_keys is not None
        behaviour.valid_keys |= set(keys.values()) - {AWS_SECRET}
        started: dict[str, Proxy] = {}
        try:
            for env in ENVIRONMENTS:
                config_file, env_file = _render(catalog, env, work, keys)
                process, url, master_key, log = _start(config_file, env_file, work)
                started[env] = Proxy(
                    env,
                    url,
                    master_key,
                    srv,
                    desired[env],
                    keys,
                    config_file.read_text(),
                    process,
                    log,
                )
            for proxy in started.values():
                _wait_alive(proxy)
            yield started
        finally:
            for proxy in started.values():
                _stop(proxy.process)


def _expected_route(proxy: Proxy, slug: str) -> tuple[str, str, str, str]:
    """(dialect, path, key, model id) the loopback server must see for a model."""
    model = proxy.desired.models[slug]
    mine = {r.slug: r for r in ROUTES}
    if slug in mine:
        route = mine[slug]
        dialect, path, provider = route.dialect, route.path, route.provider
    elif model.get("deployment") == "platform":
        dialect, path, provider = "openrouter", "/openrouter/api/v1/chat/completions", "openrouter"
    else:  # the example's custom models: openai or anthropic, whose paths are fixed
        [route] = [r for r in ROUTES if r.provider == model.get("provider")]
        dialect, path, provider = route.dialect, route.path, route.provider
    settings = proxy.desired.settings
    name = (
        settings.platform_credential
        if model.get("deployment") == "platform" and settings is not None
        else model.get("credential")
    )
    cred = proxy.desired.credentials[str(name)]
    key_field = "access_key_id" if provider == "bedrock" else "api_key"
    key = proxy.keys[str(cred.secrets[key_field].ref["env"])]
    return dialect, path, key, str(model.get("model_id"))


def _chat(proxy: Proxy, model: str) -> Any:
    before = len(proxy.loopback.behaviour.requests)
    status, body = proxy.call(
        "POST",
        "/v1/chat/completions",
        {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1},
    )
    where = proxy.environment or "base"
    assert status == 200, f"{where}, {model}: {status} {body}"
    seen = proxy.loopback.behaviour.requests[before:]
    assert len(seen) == 1, f"{where}, {model}: the loopback server saw {len(seen)} requests"
    return seen[0]


def _enabled(desired: DesiredState) -> dict[str, ModelState]:
    return {slug: m for slug, m in desired.models.items() if m.get("enabled")}


def _served_differently(proxy: Proxy, base: Proxy) -> set[str]:
    """The models whose ``model_list`` entry or credential differ from the base's config (or
    that the base does not serve): the only ones an environment's proxy can route otherwise."""

    def routes(config_text: str) -> dict[str, Any]:
        config = yaml.safe_load(config_text)
        credentials = {c["credential_name"]: c for c in config["credential_list"]}
        return {
            entry["model_name"]: (
                entry,
                credentials.get(entry["litellm_params"].get("litellm_credential_name")),
            )
            for entry in config["model_list"]
        }

    mine, theirs = routes(proxy.config_text), routes(base.config_text)
    return {slug for slug, route in mine.items() if theirs.get(slug) != route}


def check_served(proxy: Proxy, call: set[str] | None = None) -> None:
    """The proxy serves exactly its environment's catalog: models, limits, prices, routes,
    keys and aliases. ``call``: the models to send a completion (default: every one)."""
    where = proxy.environment or "base"
    enabled = _enabled(proxy.desired)
    leaked = [k for k, v in proxy.keys.items() if v in proxy.config_text]
    assert leaked == [], f"{where}: the config holds the values of {leaked}"

    # /v1/models: exactly the enabled models by slug (no disabled model, no alias)
    status, models = proxy.call("GET", "/v1/models")
    assert status == 200, (where, models)
    assert sorted(m["id"] for m in models["data"]) == sorted(enabled), where

    # /model/info: the catalog's limits, prices and capabilities
    status, info = proxy.call("GET", "/model/info")
    assert status == 200, (where, info)
    by_slug = {entry["model_name"]: entry["model_info"] for entry in info["data"]}
    assert sorted(by_slug) == sorted(enabled), where
    for slug, got in by_slug.items():
        want, at = enabled[slug], (where, slug)
        assert got["max_input_tokens"] == want.get("context_window"), at
        assert got["max_output_tokens"] == want.get("max_output_tokens"), at
        assert got["max_tokens"] == want.get("max_output_tokens"), at
        assert got["input_cost_per_token"] == want.get("cost.input_per_token"), at
        assert got["output_cost_per_token"] == want.get("cost.output_per_token"), at
        assert got["supports_function_calling"] is want.get("capabilities.tool_use"), at
        assert got["supports_vision"] is want.get("capabilities.vision"), at
        assert got["supports_response_schema"] is want.get("capabilities.json_mode"), at
        assert got["display_name"] == want.get("display_name"), at
        assert got.get("category") == want.get("category"), at  # our own keys, passed through
        assert got.get("reasoning_parameter") == want.get("capabilities.reasoning"), at
        assert got.get("description") == want.get("description"), at
    assert by_slug["m-openai"]["max_input_tokens"] == 1000 + len("m-openai")  # as written

    # every model, through the proxy to its provider's wire format, with the key of the
    # variable its credential names in this environment (for Bedrock: SigV4, verified with
    # the secret, for the credential's region)
    for slug in sorted(enabled if call is None else call):
        dialect, path, key, model_id = _expected_route(proxy, slug)
        seen = _chat(proxy, slug)
        assert (seen.dialect, seen.path, seen.key, seen.model) == (
            dialect,
            path,
            key,
            model_id,
        ), (where, slug)
        if dialect == "bedrock":
            assert (seen.region, seen.signature_ok) == (REGION, True), where

    # aliases: default and a previous slug
    default = _chat(proxy, "default")
    assert (default.path, default.model) == ("/openrouter/api/v1/chat/completions", DEFAULT_ROUTE)
    renamed = _chat(proxy, RENAMED[1])
    assert (renamed.path, renamed.model) == ("/openai/v1/chat/completions", "gpt-4o-mini"), where

    # a disabled model is not served
    disabled = sorted(set(proxy.desired.models) - set(enabled))
    assert DISABLED in disabled, where
    for slug in disabled:
        before = len(proxy.loopback.behaviour.requests)
        status, _body = proxy.call(
            "POST",
            "/v1/chat/completions",
            {"model": slug, "messages": [{"role": "user", "content": "ping"}]},
        )
        assert status >= 400, (where, slug)
        assert len(proxy.loopback.behaviour.requests) == before, (where, slug)


def test_the_real_proxy_serves_the_rendered_catalog_of_every_environment(
    proxies: dict[str, Proxy],
) -> None:
    assert sorted(proxies) == sorted(ENVIRONMENTS)
    assert len(ENVIRONMENTS) > 1, "the example catalog has environments"
    base = proxies[BASE]
    assert len(_enabled(base.desired)) == len(ROUTES) + 15  # the example's 15 models and ours
    check_served(base)
    for env, proxy in proxies.items():
        if env == BASE:
            continue
        # a completion for each model the environment routes otherwise than the base (the
        # others have the base's entry and credential, sent through the base's proxy above)
        changed = _served_differently(proxy, base)
        assert changed, f"{env} serves what the base serves: its overlays are not rendered"
        check_served(proxy, call=changed)
    # the example's overlays, as the proxies serve them
    production, staging = proxies["production"], proxies["staging"]
    assert "gpt-5-5" in _enabled(base.desired)
    assert "gpt-5-5" not in _enabled(production.desired)
    assert production.desired.models["gpt-4o"].get("max_output_tokens") == 8192
    assert "gpt-4-1-mini" in _enabled(staging.desired)
    assert "gpt-4-1-mini" not in _enabled(base.desired)
    assert _chat(production, "gpt-4o").key == key_for("PRODUCTION_OPENAI_API_KEY")
    assert _chat(staging, "gpt-4-1-mini").key == key_for("STAGING_OPENAI_API_KEY")
    assert _chat(base, "gpt-4o").key == key_for("OPENAI_API_KEY")
