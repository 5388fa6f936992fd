"""Live connection tests: one minimal call per model, in parallel, with scrubbed errors.

``run_connection_tests`` is the reusable core (``test-connection`` and
``apply --test-connections``). litellm is imported when the first test runs, not at import.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from types import ModuleType

from reconciler.errors import ReconcilerError
from reconciler.logs import REDACTED, redact
from reconciler.providers.failures import CallFailure, NotTested, NotTestedKind, classify
from reconciler.providers.mapping import (
    UnsupportedProviderError,
    completion_kwargs,
    litellm_model,
    secret_texts,
)
from reconciler.providers.resolved import ResolvedModel

MAX_WORKERS = 64
MAX_ERROR_CHARS = 400
_PARTIAL = 8  # a run of this many characters of a secret in a message counts as leaking it


@dataclass(frozen=True)
class ConnectionResult:
    """The outcome of one live call. ``latency`` is seconds (None when no call was made);
    when not ``ok``, ``failure`` says what failed in the call (its detail scrubbed of
    secrets), or ``not_tested`` why no call was made. reconciler.render.connections words
    them."""

    slug: str
    provider: str
    model: str
    ok: bool
    latency: float | None = None
    failure: CallFailure | None = None
    not_tested: NotTested | None = None


@dataclass(frozen=True)
class ConnectionGate:
    """``apply --test-connections``' verdict: the results of the models the change creates or
    changes, in the order tested (none: it creates or changes none). It passes when every
    call succeeded; reconciler.render.connections words it."""

    results: tuple[ConnectionResult, ...] = ()

    @property
    def failed(self) -> tuple[str, ...]:
        """The slugs that failed (their call, or before it), in the order tested."""
        return tuple(r.slug for r in self.results if not r.ok)

    @property
    def passed(self) -> bool:
        return not self.failed


# Things that look like credentials whatever their source: bearer/basic tokens, key=value
# pairs, well-known key prefixes, AWS access key ids and long random-looking strings.
_KEY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{4,}"), r"\1\2" + REDACTED),
    (
        re.compile(
            r"(?i)\b((?:x-)?api[_-]?key|access[_-]?token|token|secret(?:[_-]?access[_-]?key)?"
            r"|password|authorization)(\"?'?\s*[:=]\s*\"?'?)(?!\[REDACTED\])[^\s\"',;}]{4,}"
        ),
        r"\1\2" + REDACTED,
    ),
    (
        re.compile(
            r"\b(?:sk|pk|rk|ak|xai|gsk|fw|hf|key|api|or|nvapi|pplx|r8|tgp)[-_][A-Za-z0-9_-]{8,}"
        ),
        REDACTED,
    ),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{12,}\b"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"), REDACTED),
    (
        re.compile(r"\b(?=[A-Za-z0-9_+=]*[0-9])(?=[A-Za-z0-9_+=]*[A-Za-z])[A-Za-z0-9_+=]{32,}"),
        REDACTED,
    ),
)
_TOKEN = re.compile(r"[^\s\"'`,;()\[\]{}<>]+")


_LONG_PARTIAL = 16  # a run of only letters counts from this length: shorter ones are words


def _fragments(secret: str) -> set[str]:
    """The runs of ``secret`` whose presence in a message counts as leaking it: every
    ``_PARTIAL`` characters that are not all letters, and every ``_LONG_PARTIAL`` characters.
    A run of letters alone ("anthropic" in demo-anthropic-key-0001) is what ordinary words
    are made of, and redacting it would mangle words such as "AnthropicException"."""
    short = {
        secret[i : i + _PARTIAL]
        for i in range(len(secret) - _PARTIAL + 1)
        if not secret[i : i + _PARTIAL].isalpha()
    }
    long = {secret[i : i + _LONG_PARTIAL] for i in range(len(secret) - _LONG_PARTIAL + 1)}
    return short | long


def _scrub_partial(text: str, secret: str) -> str:
    """Replace every token that contains a fragment of ``secret`` (a server echoing a
    truncated or prefixed key)."""
    windows = _fragments(secret)
    if not windows:
        return text

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if len(token) >= _PARTIAL and any(w in token for w in windows):
            return REDACTED
        return token

    return _TOKEN.sub(replace, text)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secret values (whole or in part), without any secret the
    process has registered, and without anything that looks like a key."""
    values = sorted({s for s in secrets if s}, key=len, reverse=True)
    for value in values:
        text = text.replace(value, REDACTED)
    text = redact(text)
    for value in values:
        text = _scrub_partial(text, value)
    for pattern, replacement in _KEY_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def shorten(text: str) -> str:
    """At most ``MAX_ERROR_CHARS``, marked with ``...`` where cut."""
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _display_model(resolved: ResolvedModel) -> str:
    try:
        return litellm_model(resolved)
    except UnsupportedProviderError:
        return resolved.model_id


def _test_one(litellm: ModuleType, resolved: ResolvedModel, timeout: float) -> ConnectionResult:
    secrets = secret_texts(resolved)
    model = _display_model(resolved)
    try:
        kwargs = completion_kwargs(resolved, timeout=timeout)
    except UnsupportedProviderError:
        why = NotTested(NotTestedKind.UNSUPPORTED_PROVIDER, resolved.provider)
        return ConnectionResult(resolved.slug, resolved.provider, model, False, not_tested=why)
    start = time.perf_counter()
    try:
        litellm.completion(**kwargs)
    except Exception as err:  # every provider failure is a result, never a crash
        latency = time.perf_counter() - start
        failure = classify(err, kwargs)
        # scrubbed here, where the secrets are known: every reporter shows the detail
        detail = scrub(" ".join(failure.detail.split()), secrets)
        failure = replace(failure, detail=detail, timeout=timeout)
        return ConnectionResult(resolved.slug, resolved.provider, model, False, latency, failure)
    latency = time.perf_counter() - start
    return ConnectionResult(resolved.slug, resolved.provider, model, True, latency)


def check_timeout(timeout: float) -> None:
    """A call needs a positive number of seconds (NaN is not one)."""
    if not timeout > 0:
        raise ReconcilerError("--timeout must be a positive number of seconds")


def run_connection_tests(
    models: Sequence[ResolvedModel],
    timeout: float,
    *,
    max_workers: int = MAX_WORKERS,
    on_result: Callable[[ConnectionResult], None] | None = None,
) -> list[ConnectionResult]:
    """Call every model once (1 output token, no retries, ``timeout`` seconds), all in
    parallel up to ``max_workers``; results in the order of ``models``. ``on_result`` is called
    (from the calling thread) as each test finishes."""
    if not models:
        return []
    from reconciler.providers.litellm_env import import_litellm

    litellm = import_litellm()
    results: list[ConnectionResult | None] = [None] * len(models)
    workers = max(1, min(len(models), max_workers))
    with ThreadPoolExecutor(workers, thread_name_prefix="test-connection") as pool:
        futures = {
            pool.submit(_test_one, litellm, model, timeout): index
            for index, model in enumerate(models)
        }
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_result is not None:
                on_result(result)
    return [r for r in results if r is not None]
