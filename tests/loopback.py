"""A loopback HTTP server that speaks the providers' wire formats, for real calls through litellm.

* OpenAI chat completions: ``POST .../chat/completions``. What openai, openai_compatible,
  openrouter, fireworks, together and Hugging Face endpoints (TGI) speak; each of those is
  mounted under its own path prefix (``Loopback.base(provider)``) so that a failure answers in
  that provider's error shape.
* Anthropic messages: ``POST .../v1/messages``.
* Gemini generateContent: ``POST .../models/{model}:generateContent`` (key in the
  ``x-goog-api-key`` header or the ``key`` query parameter).
* Bedrock Converse: ``POST .../model/{modelId}/converse``, signed with SigV4 (the signature is
  verified when ``Behaviour.aws_secrets`` knows the access key id) or with a Bedrock API key
  as ``Authorization: Bearer``.

Behaviour is chosen per request: a model name containing ``slow`` sleeps ``slow_seconds``;
every request sleeps ``delay`` first; a key not in ``valid_keys`` (or a SigV4 signature that
does not verify) gets the provider's authentication error, which quotes the presented key when
``echo_key`` is set (a careless server). Every request is recorded as a :class:`Seen` with the
credential, model and output-token limit read the provider's way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

# Where each provider is mounted: the base URL a credential's base_url / endpoint_url names.
# litellm appends the provider's own path (/chat/completions, /v1/messages, ...) to it.
MOUNTS: dict[str, str] = {
    "openai_compatible": "/v1",
    "openai": "/openai/v1",
    "anthropic": "/anthropic",
    "google": "/google/v1beta",
    "openrouter": "/openrouter/api/v1",
    "fireworks": "/fireworks/inference/v1",
    "together": "/together/v1",
    "huggingface": "/huggingface",
    "bedrock": "/bedrock",
}
# The error dialect of a chat-completions request, by the first path segment.
_OPENAI_DIALECTS = ("openai", "openrouter", "fireworks", "together", "huggingface")

_GEMINI = re.compile(r"/models/(?P<model>[^/:]+):generateContent$")
_BEDROCK = re.compile(r"/model/(?P<model>[^/]+)/converse$")
_SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]+)$"
)


@dataclass
class Seen:
    """One request as the server saw it. ``dialect``: openai, openrouter, fireworks, together,
    huggingface, anthropic, gemini or bedrock. ``key``: the credential presented (bearer token,
    x-api-key, x-goog-api-key or ``key=``, or the SigV4 access key id). ``signature_ok``: for
    SigV4, whether the signature verified against the secret in ``Behaviour.aws_secrets``."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)
    dialect: str = "openai"
    key: str = ""
    model: str = ""
    max_tokens: Any = None
    region: str | None = None
    signature_ok: bool | None = None


@dataclass
class Behaviour:
    valid_keys: set[str] | None = None  # None: any key is accepted
    echo_key: bool = False
    delay: float = 0.0
    slow_seconds: float = 2.0
    aws_secrets: dict[str, str] = field(default_factory=dict)  # access key id -> secret key
    requests: list[Seen] = field(default_factory=list)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sigv4_verifies(
    method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes, secret: str
) -> bool:
    """Recompute an AWS Signature Version 4 (as botocore makes it for a non-S3 service) and
    compare it with the one in the Authorization header."""
    match = _SIGV4.match(headers.get("authorization", ""))
    if match is None:
        return False
    date, region, service, terminator = match["scope"].split("/")
    signed = match["signed"].split(";")
    canonical_headers = "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed)
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(parse_qsl(query, keep_blank_values=True))
    )
    canonical = "\n".join(
        [
            method,
            quote(raw_path, safe="/~"),
            canonical_query,
            canonical_headers,
            match["signed"],
            _sha256(body),
        ]
    )
    scope = match["scope"]
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", headers.get("x-amz-date", ""), scope, _sha256(canonical.encode())]
    )
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match["signature"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default backlog (5) delays parallel connects by ~1 s
    behaviour: Behaviour
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here


def _read(seen: Seen, raw_path: str, raw_query: str, raw_body: bytes, aws: dict[str, str]) -> None:
    """Fill in the dialect, credential, model and token limit of a request."""
    path, headers, body = seen.path, seen.headers, seen.body
    bearer = headers.get("authorization", "")
    if (m := _BEDROCK.search(path)) is not None:
        seen.dialect = "bedrock"
        seen.model = unquote(m["model"])
        seen.max_tokens = body.get("inferenceConfig", {}).get("maxTokens")
        if (sig := _SIGV4.match(bearer)) is not None:
            seen.key = sig["key"]
            seen.region = sig["scope"].split("/")[1]
            secret = aws.get(seen.key)
            seen.signature_ok = secret is not None and sigv4_verifies(
                "POST", raw_path, raw_query, headers, raw_body, secret
            )
        else:
            seen.key = bearer.removeprefix("Bearer ")
    elif (m := _GEMINI.search(path)) is not None:
        seen.dialect = "gemini"
        seen.model = m["model"]
        seen.key = headers.get("x-goog-api-key") or seen.query.get("key", "")
        config = body.get("generationConfig", {})  # proto JSON: either spelling is accepted
        seen.max_tokens = config.get("maxOutputTokens", config.get("max_output_tokens"))
    elif path.endswith("/messages"):
        seen.dialect = "anthropic"
        seen.model = str(body.get("model", ""))
        seen.key = headers.get("x-api-key", "")
        seen.max_tokens = body.get("max_tokens")
    else:
        first = path.strip("/").split("/")[0]
        seen.dialect = first if first in _OPENAI_DIALECTS else "openai"
        seen.model = str(body.get("model", ""))
        seen.key = bearer.removeprefix("Bearer ")
        seen.max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))


def _auth_error(dialect: str, shown: str, bad_signature: bool) -> tuple[int, dict[str, Any]]:
    """The status and body each provider answers a bad credential with."""
    if dialect == "anthropic":
        error = {"type": "authentication_error", "message": f"invalid x-api-key {shown}"}
        return 401, {"type": "error", "error": error}
    if dialect == "gemini":  # Google answers a bad key with 400 INVALID_ARGUMENT
        return 400, {
            "error": {
                "code": 400,
                "message": f"API key not valid. Please pass a valid API key. [{shown}]",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            }
        }
    if dialect == "bedrock":  # AWS answers 403 with {"message": ...}
        if bad_signature:
            return 403, {
                "message": "The request signature we calculated does not match the signature "
                f"you provided. Check your AWS Secret Access Key and signing method. [{shown}]"
            }
        return 403, {"message": f"The security token included in the request is invalid: {shown}"}
    if dialect == "openrouter":
        return 401, {"error": {"message": f"User not found for key {shown}.", "code": 401}}
    if dialect == "fireworks":
        return 401, {
            "error": {
                "object": "error",
                "type": "invalid_request_error",
                "message": f"The API key you provided is invalid: {shown}",
            }
        }
    if dialect == "together":
        return 401, {
            "error": {
                "message": f"Invalid API key provided: {shown}. You can find your API key at "
                "https://api.together.xyz/settings/api-keys.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
    if dialect == "huggingface":
        return 401, {"error": f"Invalid credentials in Authorization header: {shown}"}
    return 401, {
        "error": {
            "message": f"Incorrect API key provided: {shown}.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }


def _success(dialect: str, model: str) -> dict[str, Any]:
    if dialect == "anthropic":
        return {
            "id": "msg_loopback",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "p"}],
            "stop_reason": "max_tokens",
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        }
    if dialect == "gemini":
        return {
            "candidates": [
                {
                    "content": {"parts": [{"text": "p"}], "role": "model"},
                    "finishReason": "MAX_TOKENS",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 3,
                "candidatesTokenCount": 1,
                "totalTokenCount": 4,
            },
            "modelVersion": model,
        }
    if dialect == "bedrock":
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": "p"}]}},
            "stopReason": "max_tokens",
            "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
            "metrics": {"latencyMs": 1},
        }
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "p"},
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    def do_POST(self) -> None:
        behaviour = self.server.behaviour
        length = int(self.headers.get("content-length") or 0)
        raw_body = self.rfile.read(length)
        body = json.loads(raw_body or b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        url = urlsplit(self.path)
        seen = Seen(url.path, headers, body, dict(parse_qsl(url.query)))
        _read(seen, url.path, url.query, raw_body, behaviour.aws_secrets)
        behaviour.requests.append(seen)
        wait = behaviour.delay + (behaviour.slow_seconds if "slow" in seen.model else 0.0)
        if wait and self.server.stopping.wait(wait):
            return
        known = behaviour.valid_keys is None or seen.key in behaviour.valid_keys
        if not known or seen.signature_ok is False:
            shown = seen.key if behaviour.echo_key else seen.key[:3] + "****"
            self._send(*_auth_error(seen.dialect, shown, bad_signature=known))
            return
        self._send(200, _success(seen.dialect, seen.model))


@dataclass
class Loopback:
    port: int
    behaviour: Behaviour

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base(self) -> str:
        return self.url

    def base(self, provider: str) -> str:
        """The base URL (credential base_url / endpoint_url) of ``provider``'s mount."""
        return self.url + MOUNTS[provider]


@contextmanager
def loopback_server(behaviour: Behaviour | None = None) -> Iterator[Loopback]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.behaviour = behaviour or Behaviour()
    server.stopping = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield Loopback(server.server_address[1], server.behaviour)
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
