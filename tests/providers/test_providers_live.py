"""Every provider route, live through litellm over real HTTP to a loopback server.

Each case is a model whose credential points the provider's base_url / endpoint_url at the
server's mount for that provider, the way a catalog credential would. The server checks the
request the provider's way (path, where the credential travels, the model id, the output-token
limit), verifies Bedrock's SigV4 signature, and answers failures in the provider's error shape.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from loopback import Behaviour, Loopback, Seen, loopback_server

from reconciler.logs import REDACTED
from reconciler.providers.connection import ConnectionResult, run_connection_tests
from reconciler.providers.mapping import litellm_model
from reconciler.render.connections import error_text
from reconciler.runtime import ResolvedModel
from reconciler.secrets.values import SecretValue

GOOD = "sk-live-good-0123456789abcdef"
BAD = "sk-live-wrong-9876543210fedcba"
AWS_KEY_ID = "AKIALOOPBACKEXAMPLE01"
AWS_OTHER_KEY_ID = "AKIALOOPBACKOTHERID02"
AWS_SECRET = "loopback/Secret+Access/Key0123456789abcd"
REGION = "eu-central-1"
BEDROCK_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"


@dataclass(frozen=True)
class Case:
    """One route. ``path``: what the server must see; ``message``: the provider's own words
    for a bad credential, which the result must carry."""

    name: str
    provider: str
    model_id: str
    path: str
    dialect: str
    message: str
    deployment: str = "custom"
    iam: bool = False  # bedrock with an IAM key pair (SigV4) instead of an API key

    def resolved(
        self, srv: Loopback, *, key: str | None = None, secret: str = AWS_SECRET
    ) -> ResolvedModel:
        key = self.good_key if key is None else key
        if self.iam:
            secrets = {"access_key_id": SecretValue(key), "secret_access_key": SecretValue(secret)}
        else:
            secrets = {"api_key": SecretValue(key)}
        if self.provider == "bedrock":
            config = {"region": REGION, "endpoint_url": srv.base("bedrock")}
        elif self.provider == "huggingface":
            config = {"endpoint_url": srv.base("huggingface")}
        else:
            config = {"base_url": srv.base(self.provider)}
        return ResolvedModel(
            slug=self.name,
            provider=self.provider,
            model_id=self.model_id,
            deployment=self.deployment,
            source="credential:c",
            credential_name="c",
            secrets=secrets,
            config=config,
        )

    @property
    def good_key(self) -> str:
        return AWS_KEY_ID if self.iam else GOOD

    @property
    def bad_key(self) -> str:
        return AWS_OTHER_KEY_ID if self.iam else BAD


OPENAI_401 = "Incorrect API key provided"
CASES = [
    Case("openai", "openai", "gpt-4o-mini", "/openai/v1/chat/completions", "openai", OPENAI_401),
    Case(
        "anthropic",
        "anthropic",
        "claude-haiku-4-5",
        "/anthropic/v1/messages",
        "anthropic",
        "invalid x-api-key",
    ),
    Case(
        "google",
        "google",
        "gemini-2.5-flash",
        "/google/v1beta/models/gemini-2.5-flash:generateContent",
        "gemini",
        "API key not valid. Please pass a valid API key.",
    ),
    Case(
        "openrouter",
        "openrouter",
        "anthropic/claude-sonnet-4",
        "/openrouter/api/v1/chat/completions",
        "openrouter",
        "User not found",
    ),
    Case(
        "fireworks",
        "fireworks",
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
        "/fireworks/inference/v1/chat/completions",
        "fireworks",
        "The API key you provided is invalid",
    ),
    Case(
        "together",
        "together",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "/together/v1/chat/completions",
        "together",
        "Invalid API key provided",
    ),
    Case(
        "huggingface",
        "huggingface",
        "meta-llama/Llama-3.1-8B-Instruct",
        "/huggingface/v1/chat/completions",
        "huggingface",
        "Invalid credentials in Authorization header",
    ),
    Case(
        "bedrock-api-key",
        "bedrock",
        BEDROCK_MODEL,
        "/bedrock/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
        "bedrock",
        "The security token included in the request is invalid",
    ),
    Case(
        "bedrock-iam",
        "bedrock",
        BEDROCK_MODEL,
        "/bedrock/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
        "bedrock",
        "The security token included in the request is invalid",
        iam=True,
    ),
    Case(
        "openai-compatible",
        "openai_compatible",
        "qwen2.5-7b-instruct",
        "/v1/chat/completions",
        "openai",
        OPENAI_401,
    ),
    Case(
        "platform",
        "openrouter",
        "x-ai/grok-4",
        "/openrouter/api/v1/chat/completions",
        "openrouter",
        "User not found",
        deployment="platform",
    ),
]
PARAMS = [pytest.param(case, id=case.name) for case in CASES]

pytestmark = pytest.mark.loopback(
    valid_keys={GOOD, AWS_KEY_ID}, aws_secrets={AWS_KEY_ID: AWS_SECRET}
)


def _behaviour(**extra: object) -> Behaviour:
    behaviour = Behaviour(valid_keys={GOOD, AWS_KEY_ID}, aws_secrets={AWS_KEY_ID: AWS_SECRET})
    for name, value in extra.items():
        setattr(behaviour, name, value)
    return behaviour


def one(model: ResolvedModel, timeout: float = 10.0) -> tuple[ConnectionResult, float]:
    start = time.perf_counter()
    [result] = run_connection_tests([model], timeout)
    return result, time.perf_counter() - start


def only_request(srv: Loopback) -> Seen:
    [seen] = srv.behaviour.requests  # exactly one call: no retries
    return seen


@pytest.mark.parametrize("case", PARAMS)
def test_success(server: Loopback, case: Case) -> None:
    model = case.resolved(server)
    result, _ = one(model)
    assert result.ok, error_text(result)
    assert error_text(result) is None
    assert result.slug == case.name
    assert result.provider == case.provider
    assert result.model == litellm_model(model)
    assert result.latency is not None
    assert result.latency > 0

    seen = only_request(server)
    assert seen.path == case.path
    assert seen.dialect == case.dialect
    assert seen.key == case.good_key
    assert seen.model == case.model_id
    assert seen.max_tokens == 1
    # retry settings are ours, never request fields (litellm's huggingface route would send them)
    assert "max_retries" not in seen.body
    assert "num_retries" not in seen.body


def test_bedrock_iam_call_is_signed_for_the_region_with_the_secret(server: Loopback) -> None:
    [case] = [c for c in CASES if c.iam]
    result, _ = one(case.resolved(server))
    assert result.ok, error_text(result)
    seen = only_request(server)
    assert seen.signature_ok is True  # recomputed from AWS_SECRET: the right secret signed it
    assert seen.region == REGION
    assert seen.headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/")
    assert AWS_SECRET not in " ".join(seen.headers.values())  # the secret never travels


def test_bedrock_api_key_is_a_bearer_token(server: Loopback) -> None:
    [case] = [c for c in CASES if c.name == "bedrock-api-key"]
    result, _ = one(case.resolved(server))
    assert result.ok, error_text(result)
    seen = only_request(server)
    assert seen.headers["authorization"] == f"Bearer {GOOD}"
    assert seen.signature_ok is None


def test_gemini_key_travels_in_a_header_not_the_url(server: Loopback) -> None:
    [case] = [c for c in CASES if c.provider == "google"]
    result, _ = one(case.resolved(server))
    assert result.ok, error_text(result)
    seen = only_request(server)
    assert seen.headers["x-goog-api-key"] == GOOD
    assert "key" not in seen.query
    assert "authorization" not in seen.headers


@pytest.mark.parametrize("case", PARAMS)
def test_auth_failure_shows_the_providers_message(server: Loopback, case: Case) -> None:
    result, _ = one(case.resolved(server, key=case.bad_key))
    assert not result.ok
    assert error_text(result) is not None
    assert case.message in error_text(result)
    assert case.bad_key not in error_text(result)
    assert only_request(server).key == case.bad_key


def test_bedrock_wrong_secret_access_key_fails_the_signature(server: Loopback) -> None:
    [case] = [c for c in CASES if c.iam]
    wrong = AWS_SECRET[:-4] + "zzzz"
    result, _ = one(case.resolved(server, secret=wrong))
    assert not result.ok
    assert error_text(result) is not None
    assert "signature we calculated does not match" in error_text(result)
    assert only_request(server).signature_ok is False
    assert wrong not in error_text(result)


@pytest.mark.loopback(echo_key=True)
@pytest.mark.parametrize("case", PARAMS)
def test_echoed_key_is_scrubbed(server: Loopback, case: Case) -> None:
    result, _ = one(case.resolved(server, key=case.bad_key))
    assert not result.ok
    assert error_text(result) is not None
    assert case.message in error_text(result)  # the message survives...
    bad = case.bad_key
    for part in (bad, bad[:12], bad[4:16], bad[-12:]):  # ...the key, whole or in part, does not
        assert part not in error_text(result)
    assert "REDACTED" in error_text(result)


@pytest.mark.loopback(echo_key=True)
def test_scrubbed_marker_is_ours_where_litellm_did_not_mask(server: Loopback) -> None:
    [case] = [c for c in CASES if c.name == "openai"]
    result, _ = one(case.resolved(server, key=BAD))
    assert error_text(result) is not None
    assert f"Incorrect API key provided: {REDACTED}" in error_text(result)


@pytest.mark.parametrize("case", PARAMS)
def test_slow_server_times_out_once(case: Case) -> None:
    # the server would answer after 10 s; the test waits 0.5 s and does not retry
    with loopback_server(_behaviour(delay=10.0)) as srv:
        result, elapsed = one(case.resolved(srv), timeout=0.5)
        assert len(srv.behaviour.requests) == 1
    assert not result.ok
    assert error_text(result) is not None
    assert "Timeout" in error_text(result)
    assert elapsed < 8.0  # cut off by the timeout, not by the server's answer
