"""What went wrong in a live call, as data: DNS, connection refused, timeout, TLS, an HTTP
status with the provider's own message, or something else; and why a model was not called at
all (``NotTested``). reconciler.render.connections words both.

litellm wraps the transport's exceptions (often as "InternalServerError" with advice to
programmers); the cause chain still holds the real one (socket.gaierror, ConnectionRefusedError,
ssl.SSLError, a timeout, httpx.HTTPStatusError), so the kind is read from exception types and
attributes, never from message text.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class FailureKind(StrEnum):
    DNS = "dns"
    REFUSED = "connection-refused"
    TIMEOUT = "timeout"
    TLS = "tls"
    HTTP_STATUS = "http-status"
    CONNECTION = "connection"  # another network error (reset, unreachable)
    OTHER = "error"


@dataclass(frozen=True)
class CallFailure:
    """``host`` is ``host[:port]`` of the endpoint called (None when unknown); ``status`` the
    HTTP status (HTTP_STATUS only); ``detail`` the provider's message or the transport's
    reason (a ConnectionResult's is scrubbed of secrets); ``timeout`` the seconds the call
    was given."""

    kind: FailureKind
    host: str | None = None
    status: int | None = None
    detail: str = ""
    error_class: str = ""  # litellm's exception class (AuthenticationError, Timeout, ...)
    timeout: float | None = None


class NotTestedKind(StrEnum):
    NO_CREDENTIAL = "no-credential"  # none named, and no fallback variable is set
    NO_PLATFORM_CREDENTIAL = "no-platform-credential"  # a platform model, and none of ``env``
    NEEDS_CREDENTIAL = "needs-credential"  # the provider has no fallback variable
    UNKNOWN_CREDENTIAL = "unknown-credential"  # the named credential is not in the catalog
    SECRETS_UNRESOLVED = "secrets-unresolved"  # the credential's secrets could not be read
    UNSUPPORTED_PROVIDER = "unsupported-provider"  # no litellm route for the provider
    NOT_RESOLVED = "not-resolved"  # the registry could not resolve the model (``detail``)


@dataclass(frozen=True)
class UnresolvedSecret:
    """A credential's secret field, where it comes from (``source``) and why it could not be
    read."""

    field: str
    source: str
    why: str


@dataclass(frozen=True)
class NotTested:
    """Why a model was not called: ``provider`` and ``env`` (the fallback variables looked
    for) with the credential kinds, ``credential`` the credential named, ``secrets`` what could
    not be read of it, ``detail`` the registry's reason."""

    kind: NotTestedKind
    provider: str = ""
    env: tuple[str, ...] = ()
    credential: str | None = None
    secrets: tuple[UnresolvedSecret, ...] = ()
    detail: str = ""


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_timeout(err: BaseException) -> bool:
    if isinstance(err, TimeoutError):  # socket.timeout too
        return True
    # httpx.TimeoutException and litellm.Timeout, without importing either
    return any(c.__name__ in ("TimeoutException", "Timeout") for c in type(err).__mro__)


def _request_host(chain: list[BaseException]) -> str | None:
    # the innermost request is the one really sent: litellm's wrappers carry made-up ones
    for err in reversed(chain):
        try:
            request = getattr(err, "request", None)
        except RuntimeError:  # httpx raises when an exception carries no request
            request = None
        url = getattr(request, "url", None)
        host = getattr(url, "host", None)
        if host:
            port = getattr(url, "port", None)
            return f"{host}:{port}" if port else str(host)
    return None


def host_of(kwargs: Mapping[str, Any]) -> str | None:
    """``host[:port]`` of the base URL a call was given (None for the provider's default)."""
    for name in ("api_base", "base_url", "aws_bedrock_runtime_endpoint"):
        value = kwargs.get(name)
        if isinstance(value, str) and value:
            try:
                parts = urlsplit(value)
                host, port = parts.hostname, parts.port
            except ValueError:
                return None
            if host:
                return f"{host}:{port}" if port else host
    return None


def _provider_message(err: BaseException) -> str:
    """The provider's own message: litellm's ``message`` without its "XException - " prefix,
    and the ``error.message`` of a JSON error body."""
    text = str(getattr(err, "message", "") or err)
    head, sep, rest = text.partition(" - ")
    if sep and head.endswith("Exception"):
        text = rest
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if isinstance(message, str):
        return message
    if isinstance(error, str):
        return error
    return text.strip()


def _status(chain: list[BaseException]) -> int | None:
    """The HTTP status a server really sent (litellm invents 500 for connection errors, so
    only a chain that holds an HTTP response counts)."""
    for err in chain:
        response = getattr(err, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int) and type(err).__name__ in ("HTTPStatusError", "APIStatusError"):
            return code
        if type(err).__name__ == "MaskedHTTPStatusError" and isinstance(code, int):
            return code
    for err in chain:  # the openai SDK's status errors carry the code themselves
        if any(c.__name__ == "APIStatusError" for c in type(err).__mro__):
            code = getattr(err, "status_code", None)
            if isinstance(code, int):
                return code
    return None


def classify(err: BaseException, kwargs: Mapping[str, Any]) -> CallFailure:
    chain = list(_chain(err))
    host = host_of(kwargs) or _request_host(chain)
    name = type(err).__name__
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return CallFailure(FailureKind.DNS, host, None, cause.strerror or "", name)
        if isinstance(cause, ConnectionRefusedError):
            return CallFailure(FailureKind.REFUSED, host, None, cause.strerror or "", name)
        if isinstance(cause, ssl.SSLError):
            reason = cause.reason or cause.strerror or type(cause).__name__
            return CallFailure(FailureKind.TLS, host, None, str(reason), name)
    if any(_is_timeout(cause) for cause in chain):
        return CallFailure(FailureKind.TIMEOUT, host, None, "", name)
    status = _status(chain)
    if status is not None:
        return CallFailure(FailureKind.HTTP_STATUS, host, status, _provider_message(err), name)
    for cause in chain:
        if isinstance(cause, OSError) and cause.strerror:
            return CallFailure(FailureKind.CONNECTION, host, None, cause.strerror, name)
    return CallFailure(FailureKind.OTHER, host, None, _provider_message(err), name)
