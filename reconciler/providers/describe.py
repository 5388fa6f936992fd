"""The words for a failed live call (reconciler.providers.failures.CallFailure). They live beside
the classification because ConnectionResult.error carries them, scrubbed, to every reporter."""

from __future__ import annotations

import re

from reconciler.providers.failures import CallFailure, FailureKind

# litellm appends advice meant for programmers catching its exceptions
_LITELLM_ADVICE = re.compile(r"\s*Handle with `?litellm\.\w+`?\.?")


def describe_failure(failure: CallFailure, timeout: float) -> str:
    """One line: what failed, where, and (for an HTTP status) what the provider said."""
    where = failure.host or "the provider's API"
    detail = _LITELLM_ADVICE.sub("", " ".join(failure.detail.split())).strip()
    match failure.kind:
        case FailureKind.DNS:
            reason = detail or "name not found"
            return f"DNS: cannot resolve {where} ({reason}); check the base URL and the network"
        case FailureKind.REFUSED:
            return f"connection refused by {where}; is the server running and the port right?"
        case FailureKind.TIMEOUT:
            return f"Timeout: no answer from {where} within {timeout:g} s"
        case FailureKind.TLS:
            return (
                f"TLS handshake with {where} failed ({detail}); does the URL's scheme "
                "(https or http) match the server?"
            )
        case FailureKind.HTTP_STATUS:
            name = f" {failure.error_class}" if failure.error_class else ""
            return f"HTTP {failure.status}{name} from {where}: {detail or '(no message)'}"
        case FailureKind.CONNECTION:
            return f"cannot connect to {where}: {detail}"
    name = f"{failure.error_class}: " if failure.error_class else ""
    return f"{name}{detail}" if detail else name.rstrip(": ") or "failed"
