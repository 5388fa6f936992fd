"""Real HTTP through litellm to loopback servers speaking the OpenAI and Anthropic formats."""

from __future__ import annotations

import time

import pytest
from loopback import Behaviour, Loopback, loopback_server

from reconciler.logs import REDACTED
from reconciler.providers.connection import (
    ConnectionResult,
    run_connection_tests,
    scrub,
)
from reconciler.render.connections import error_text
from reconciler.runtime import ResolvedModel
from reconciler.secrets.values import SecretValue

GOOD_KEY = "sk-loopback-good-0123456789abcdef"
BAD_KEY = "sk-loopback-wrong-9876543210fedcba"


pytestmark = pytest.mark.loopback(valid_keys={GOOD_KEY})


def compat(
    srv: Loopback, model_id: str, key: str | None = GOOD_KEY, slug: str = ""
) -> ResolvedModel:
    return ResolvedModel(
        slug=slug or model_id,
        provider="openai_compatible",
        model_id=model_id,
        deployment="custom",
        source="credential:compat",
        credential_name="compat",
        secrets={} if key is None else {"api_key": SecretValue(key)},
        config={"base_url": srv.openai_base},
    )


def anthropic(srv: Loopback, model_id: str, key: str = GOOD_KEY) -> ResolvedModel:
    return ResolvedModel(
        slug=model_id,
        provider="anthropic",
        model_id=model_id,
        deployment="custom",
        source="credential:ant",
        credential_name="ant",
        secrets={"api_key": SecretValue(key)},
        config={"api_base": srv.anthropic_base},
    )


def one(model: ResolvedModel, timeout: float = 5.0) -> ConnectionResult:
    [result] = run_connection_tests([model], timeout)
    return result


# --- OpenAI chat-completions wire format via openai_compatible -------------------------------


def test_openai_compatible_success(server: Loopback) -> None:
    result = one(compat(server, "good-model"))
    assert result.ok, error_text(result)
    assert error_text(result) is None
    assert result.model == "openai/good-model"
    assert result.provider == "openai_compatible"
    assert result.latency is not None
    assert 0 < result.latency < 5
    [seen] = server.behaviour.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {GOOD_KEY}"
    assert seen.body["model"] == "good-model"
    assert seen.body["max_tokens"] == 1


def test_openai_compatible_auth_failure(server: Loopback) -> None:
    result = one(compat(server, "good-model", key=BAD_KEY))
    assert not result.ok
    assert error_text(result) is not None
    assert "AuthenticationError" in error_text(result)
    assert "Incorrect API key provided" in error_text(result)
    assert BAD_KEY not in error_text(result)
    assert len(server.behaviour.requests) == 1  # no retries


def test_openai_compatible_without_key_sends_placeholder_not_openai_key(
    server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-must-not-leak")
    result = one(compat(server, "good-model", key=None))
    assert not result.ok  # the server wants a key
    [seen] = server.behaviour.requests
    assert seen.headers["authorization"] == "Bearer no-key"


def test_timeout_is_short_and_not_retried(server: Loopback) -> None:
    server.behaviour.slow_seconds = 10.0  # far beyond the timeout, so a loaded CI box still tells
    start = time.perf_counter()
    result = one(compat(server, "slow-model"), timeout=0.5)
    elapsed = time.perf_counter() - start
    assert not result.ok
    assert error_text(result) is not None
    assert "Timeout" in error_text(result)
    assert elapsed < 6.0  # cut off by the timeout, not by the server's answer
    assert len(server.behaviour.requests) == 1  # no retries


@pytest.mark.loopback(echo_key=True)
def test_server_echoing_the_key_is_scrubbed(server: Loopback) -> None:
    result = one(compat(server, "good-model", key=BAD_KEY))
    assert not result.ok
    assert error_text(result) is not None
    assert BAD_KEY not in error_text(result)
    assert BAD_KEY[3:15] not in error_text(result)
    assert REDACTED in error_text(result)
    assert "Incorrect API key provided" in error_text(result)


# --- Anthropic messages wire format via the anthropic provider --------------------------------


def test_anthropic_success(server: Loopback) -> None:
    result = one(anthropic(server, "claude-haiku-4-5"))
    assert result.ok, error_text(result)
    assert result.model == "anthropic/claude-haiku-4-5"
    [seen] = server.behaviour.requests
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == GOOD_KEY
    assert seen.body["max_tokens"] == 1


def test_anthropic_auth_failure(server: Loopback) -> None:
    result = one(anthropic(server, "claude-haiku-4-5", key=BAD_KEY))
    assert not result.ok
    assert error_text(result) is not None
    assert "AuthenticationError" in error_text(result)
    assert "invalid x-api-key" in error_text(result)
    assert len(server.behaviour.requests) == 1


def test_anthropic_timeout(server: Loopback) -> None:
    start = time.perf_counter()
    result = one(anthropic(server, "claude-slow"), timeout=0.5)
    assert not result.ok
    assert error_text(result) is not None
    assert "Timeout" in error_text(result)
    assert time.perf_counter() - start < 1.8


@pytest.mark.loopback(echo_key=True)
def test_anthropic_echoed_key_is_scrubbed(server: Loopback) -> None:
    result = one(anthropic(server, "claude-haiku-4-5", key=BAD_KEY))
    assert not result.ok
    assert error_text(result) is not None
    assert BAD_KEY not in error_text(result)
    assert BAD_KEY[-12:] not in error_text(result)


# --- parallelism and ordering --------------------------------------------------------------------


def test_calls_run_in_parallel() -> None:
    with loopback_server(Behaviour(delay=0.3)) as srv:
        models = [compat(srv, f"model-{i}") for i in range(10)]
        start = time.perf_counter()
        results = run_connection_tests(models, 5.0)
        elapsed = time.perf_counter() - start
    assert all(r.ok for r in results), [error_text(r) for r in results]
    total = sum(r.latency or 0 for r in results)
    assert total > 2.9  # each call took its 0.3 s...
    assert elapsed < total / 2  # ...but not one after the other


def test_results_keep_input_order_and_report_each(server: Loopback) -> None:
    models = [
        compat(server, "slow-a", slug="first"),
        compat(server, "fast", key=BAD_KEY, slug="second"),
        anthropic(server, "claude-haiku-4-5"),
    ]
    seen: list[str] = []
    results = run_connection_tests(models, 0.5, on_result=lambda r: seen.append(r.slug))
    assert [r.slug for r in results] == ["first", "second", "claude-haiku-4-5"]
    assert [r.ok for r in results] == [False, False, True]
    assert sorted(seen) == sorted(["first", "second", "claude-haiku-4-5"])
    assert seen[-1] == "first"  # the slow one finished last


def test_no_models_no_import() -> None:
    assert run_connection_tests([], 1.0) == []


def test_unsupported_provider_is_a_failed_result() -> None:
    model = ResolvedModel("x", "mistral", "mistral-large", "custom", "none")
    [result] = run_connection_tests([model], 1.0)
    assert not result.ok
    assert result.latency is None
    assert error_text(result) is not None
    assert "mistral" in error_text(result)


# --- scrubbing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Incorrect API key provided: sk-proj-AbCdEf0123456789xyz", "AbCdEf0123456789"),
        ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
        ('{"api_key": "hunter2hunter2"}', "hunter2hunter2"),
        ("token=plainvalue123 was rejected", "plainvalue123"),
        ("key AKIAIOSFODNN7EXAMPLE is not valid", "AKIAIOSFODNN7EXAMPLE"),
        ("bad key AIzaSyA-1234567890abcdefghijklmnop", "AIzaSyA-1234567890abcdefghij"),
        ("opaque 8f3b2a91c0d4e5f60718293a4b5c6d7e8f901234 rejected", "8f3b2a91c0d4e5f607"),
    ],
)
def test_scrub_patterns(text: str, leak: str) -> None:
    cleaned = scrub(text)
    assert leak not in cleaned
    assert REDACTED in cleaned


def test_scrub_known_secret_in_part() -> None:
    secret = "zz-unusual-Secret-Value-42"
    cleaned = scrub("the key zz-unusual-Secr... is wrong; also ue-42zz", [secret])
    assert "unusual-Secr" not in cleaned
    assert "the key" in cleaned


def test_scrub_keeps_ordinary_text() -> None:
    text = "NotFoundError: model openai/gpt-4o-mini does not exist (status 404)"
    assert scrub(text) == text
