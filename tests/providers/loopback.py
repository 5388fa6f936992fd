"""A loopback HTTP server that speaks two provider wire formats, for real calls through litellm.

* OpenAI chat completions: ``POST .../chat/completions`` (also what OpenRouter speaks).
* Anthropic messages: ``POST .../v1/messages``.

Behaviour is chosen per request: a model name containing ``slow`` sleeps ``slow_seconds``;
every request sleeps ``delay`` first; a key not in ``valid_keys`` gets a 401 in the provider's
error format, which quotes the presented key when ``echo_key`` is set (a careless server).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Behaviour:
    valid_keys: set[str] | None = None  # None: any key is accepted
    echo_key: bool = False
    delay: float = 0.0
    slow_seconds: float = 2.0
    requests: list[Seen] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default backlog (5) delays parallel connects by ~1 s
    behaviour: Behaviour
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here


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
        body = json.loads(self.rfile.read(length) or b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        behaviour.requests.append(Seen(self.path, headers, body))
        anthropic = self.path.rstrip("/").endswith("/messages")
        model = str(body.get("model", ""))
        wait = behaviour.delay + (behaviour.slow_seconds if "slow" in model else 0.0)
        if wait and self.server.stopping.wait(wait):
            return
        if anthropic:
            key = headers.get("x-api-key", "")
        else:
            key = headers.get("authorization", "").removeprefix("Bearer ")
        if behaviour.valid_keys is not None and key not in behaviour.valid_keys:
            shown = key if behaviour.echo_key else key[:3] + "****"
            if anthropic:
                self._send(
                    401,
                    {
                        "type": "error",
                        "error": {
                            "type": "authentication_error",
                            "message": f"invalid x-api-key {shown}",
                        },
                    },
                )
            else:
                self._send(
                    401,
                    {
                        "error": {
                            "message": f"Incorrect API key provided: {shown}.",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": "invalid_api_key",
                        }
                    },
                )
            return
        if anthropic:
            self._send(
                200,
                {
                    "id": "msg_loopback",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": "p"}],
                    "stop_reason": "max_tokens",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 3, "output_tokens": 1},
                },
            )
        else:
            self._send(
                200,
                {
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
                },
            )


@dataclass
class Loopback:
    port: int
    behaviour: Behaviour

    @property
    def openai_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


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
