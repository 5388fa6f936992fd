"""The words for each kind of failed live call."""

from __future__ import annotations

import pytest

from reconciler.providers.connection import ConnectionResult
from reconciler.providers.failures import (
    CallFailure,
    FailureKind,
    NotTested,
    NotTestedKind,
    UnresolvedSecret,
)
from reconciler.render.connections import describe_failure, describe_not_tested, error_text

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
        (
            CallFailure(K.TIMEOUT, None, timeout=2.5),
            "Timeout: no answer from the provider's API within 2.5 s",
        ),
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
    assert describe_failure(failure) == text


N = NotTestedKind


@pytest.mark.parametrize(
    ("why", "text"),
    [
        (
            NotTested(N.NO_CREDENTIAL, "openai", ("OPENAI_API_KEY",)),
            "not tested: no credential, and none of OPENAI_API_KEY is set",
        ),
        (
            NotTested(N.NO_PLATFORM_CREDENTIAL, "openrouter", ("OPENROUTER_API_KEY",)),
            "not tested: no platform_credential in Settings, and OPENROUTER_API_KEY is not set",
        ),
        (
            NotTested(N.NEEDS_CREDENTIAL, "azure"),
            "not tested: a azure model needs a credential",
        ),
        (
            NotTested(N.UNKNOWN_CREDENTIAL, "openai", credential="c1"),
            "not tested: credential 'c1' is not in the catalog",
        ),
        (
            NotTested(
                N.SECRETS_UNRESOLVED,
                "openai",
                credential="c1",
                secrets=(
                    UnresolvedSecret("api_key", "env OPENAI_KEY", "not set"),
                    UnresolvedSecret("org", "file org.txt", "missing"),
                ),
            ),
            "not tested: credential 'c1': api_key (env OPENAI_KEY): not set; "
            "org (file org.txt): missing",
        ),
        (
            NotTested(N.NOT_RESOLVED, detail="model 'x' is disabled"),
            "not tested: model 'x' is disabled",
        ),
        (
            NotTested(N.UNSUPPORTED_PROVIDER, "nope"),
            "no litellm route for provider 'nope'",
        ),
    ],
)
def test_describe_not_tested(why: NotTested, text: str) -> None:
    assert describe_not_tested(why) == text
    result = ConnectionResult("m", why.provider, "id", False, not_tested=why)
    assert error_text(result) == text


def test_a_failed_call_is_one_short_line() -> None:
    failure = CallFailure(K.OTHER, None, None, "line one\n  line two " + "x" * 1000, "Bad")
    text = error_text(ConnectionResult("m", "openai", "id", False, 1.0, failure))
    assert text is not None
    assert text.startswith("Bad: line one line two x")
    assert len(text) == 400
    assert text.endswith("...")
    assert error_text(ConnectionResult("m", "openai", "id", True, 1.0)) is None
