"""Live calls that fail, for real over loopback, classified as data: DNS (a name under
.invalid), connection refused (a closed port), timeout (a server that never answers), TLS (https
to a plain-HTTP server) and an HTTP status with the provider's message (the loopback servers)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from loopback import MOUNTS, Behaviour, Loopback, loopback_server

from reconciler.providers.connection import ConnectionResult, run_connection_tests
from reconciler.providers.failures import CallFailure, FailureKind, host_of
from reconciler.render.connections import error_text
from reconciler.runtime import ResolvedModel
from reconciler.secrets.values import SecretValue

GOOD_KEY = "sk-loopback-good-0123456789abcdef"
BAD_KEY = "demo-anthropic-key-0001"  # the README's demo key, which shares "nthropic" with words
PROVIDERS = ["openai_compatible", "anthropic"]


@pytest.fixture(scope="module")
def server() -> Iterator[Loopback]:
    with loopback_server(Behaviour(valid_keys={GOOD_KEY})) as srv:
        yield srv


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()  # nothing listens there now
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def _model(provider: str, root: str, key: str = GOOD_KEY) -> ResolvedModel:
    field = "api_base" if provider == "anthropic" else "base_url"
    return ResolvedModel(
        slug="m1",
        provider=provider,
        model_id="claude-haiku-4-5" if provider == "anthropic" else "good-model",
        deployment="custom",
        source="credential:c",
        credential_name="c",
        secrets={"api_key": SecretValue(key)},
        config={field: root + MOUNTS[provider]},
    )


def _one(model: ResolvedModel, timeout: float = 5.0) -> tuple[ConnectionResult, CallFailure]:
    [result] = run_connection_tests([model], timeout)
    assert not result.ok
    assert result.failure is not None
    assert error_text(result) is not None
    assert "Handle with" not in error_text(result)
    assert "InternalServerError" not in error_text(result)
    assert "[REDACTED]" not in error_text(result)
    return result, result.failure


@pytest.mark.parametrize("provider", PROVIDERS)
def test_dns(provider: str) -> None:
    result, failure = _one(_model(provider, "http://no-such-gateway.invalid"))
    assert failure.kind is FailureKind.DNS
    assert failure.host == "no-such-gateway.invalid"
    assert error_text(result) is not None
    assert error_text(result).startswith("DNS: cannot resolve no-such-gateway.invalid (")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_refused(provider: str, closed_port: int) -> None:
    result, failure = _one(_model(provider, f"http://127.0.0.1:{closed_port}"))
    assert failure.kind is FailureKind.REFUSED
    assert failure.host == f"127.0.0.1:{closed_port}"
    assert error_text(result) == (
        f"connection refused by 127.0.0.1:{closed_port}; is the server running and the port right?"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout(provider: str, silent_port: int) -> None:
    result, failure = _one(_model(provider, f"http://127.0.0.1:{silent_port}"), timeout=0.5)
    assert failure.kind is FailureKind.TIMEOUT
    assert failure.host == f"127.0.0.1:{silent_port}"
    assert error_text(result) == f"Timeout: no answer from 127.0.0.1:{silent_port} within 0.5 s"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tls_to_a_plain_http_server(provider: str, server: Loopback) -> None:
    plain = server.base("openai").removesuffix(MOUNTS["openai"])
    https = plain.replace("http://", "https://")
    result, failure = _one(_model(provider, https))
    assert failure.kind is FailureKind.TLS
    assert failure.host == https.removeprefix("https://")
    assert error_text(result) is not None
    assert error_text(result).startswith(f"TLS handshake with {failure.host} failed (")
    assert "WRONG_VERSION_NUMBER" in error_text(result)


@pytest.mark.parametrize(
    ("provider", "message"),
    [("openai_compatible", "Incorrect API key provided"), ("anthropic", "invalid x-api-key")],
)
def test_http_status_with_the_providers_message(
    provider: str, message: str, server: Loopback
) -> None:
    plain = server.base("openai").removesuffix(MOUNTS["openai"])
    result, failure = _one(_model(provider, plain, key=BAD_KEY))
    assert failure.kind is FailureKind.HTTP_STATUS
    assert failure.status == 401
    assert failure.host == plain.removeprefix("http://")
    assert error_text(result) is not None
    assert error_text(result).startswith(f"HTTP 401 AuthenticationError from {failure.host}: ")
    assert message in error_text(result)
    assert BAD_KEY not in error_text(result)
    assert '{"type"' not in error_text(result)  # the message, not the JSON body around it


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({"api_base": "https://gw.example.com/v1"}, "gw.example.com"),
        ({"base_url": "http://127.0.0.1:8080/x"}, "127.0.0.1:8080"),
        ({"aws_bedrock_runtime_endpoint": "https://vpce.example.com"}, "vpce.example.com"),
        ({"api_base": "https://user:pw@gw.example.com/v1"}, "gw.example.com"),
        ({}, None),
        ({"api_base": "http://[::1"}, None),
    ],
)
def test_host_of(kwargs: dict[str, str], host: str | None) -> None:
    assert host_of(kwargs) == host
