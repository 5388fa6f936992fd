"""The words for each kind of failed live call."""

from __future__ import annotations

import pytest

from reconciler.providers.describe import describe_failure
from reconciler.providers.failures import CallFailure, FailureKind

K = FailureKind


@pytest.mark.parametrize(
    ("failure", "text"),
    [
        (
            CallFailure(K.DNS, "gw.invalid", None, "Name or service not known"),
            "DNS: cannot resolve gw.invalid (Name or service not known); check the base URL "
            "and the network",
        ),
        (
            CallFailure(K.REFUSED, "h:1"),
            "connection refused by h:1; is the server running and the port right?",
        ),
        (CallFailure(K.TIMEOUT, None), "Timeout: no answer from the provider's API within 2.5 s"),
        (
            CallFailure(K.TLS, "h", None, "WRONG_VERSION_NUMBER"),
            "TLS handshake with h failed (WRONG_VERSION_NUMBER); does the URL's scheme (https "
            "or http) match the server?",
        ),
        (
            CallFailure(K.HTTP_STATUS, "h", 404, "no such model", "NotFoundError"),
            "HTTP 404 NotFoundError from h: no such model",
        ),
        (CallFailure(K.HTTP_STATUS, "h", 500, ""), "HTTP 500 from h: (no message)"),
        (
            CallFailure(K.CONNECTION, "h", None, "Network is unreachable"),
            "cannot connect to h: Network is unreachable",
        ),
        (
            CallFailure(
                K.OTHER, None, None, "boom. Handle with `litellm.InternalServerError`.", "X"
            ),
            "X: boom.",
        ),
        (CallFailure(K.OTHER), "failed"),
    ],
)
def test_describe_failure(failure: CallFailure, text: str) -> None:
    assert describe_failure(failure, 2.5) == text
