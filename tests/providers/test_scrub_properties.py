"""The live-call scrubber (reconciler.providers.connection.scrub): secret values and long
fragments of them go, ordinary words stay."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from reconciler.logs import REDACTED
from reconciler.providers.connection import scrub

KEY_CHARS = string.ascii_letters + string.digits + "-_."
# a key as providers issue them: key characters, with at least one that is not a letter
secrets = st.text(KEY_CHARS, min_size=8, max_size=60).filter(lambda s: not s.isalpha())
# an ordinary word (lower, Capitalized, UPPER or CamelCase like AnthropicException)
words = st.lists(
    st.text(string.ascii_lowercase, min_size=1, max_size=7).map(
        lambda w: w.capitalize() if len(w) % 2 else w
    ),
    min_size=1,
    max_size=2,
).map("".join)
sentences = st.lists(words, min_size=1, max_size=12).map(" ".join)


def test_readme_demo_keys_leave_litellm_class_names_alone() -> None:
    demo = ["demo-anthropic-key-0001", "demo-openrouter-key-0001", "demo-openai-key-00001"]
    text = "AnthropicException - OpenAIException - OpenrouterException: Connection error."
    assert scrub(text, demo) == text


@given(text=sentences, secret_values=st.lists(secrets, max_size=3))
def test_words_are_never_scrubbed(text: str, secret_values: list[str]) -> None:
    assume(not any(w.lower() in ("bearer", "basic") for w in text.split()))
    assert scrub(text, secret_values) == text


@given(before=sentences, after=sentences, secret=secrets)
def test_a_secret_value_is_scrubbed(before: str, after: str, secret: str) -> None:
    cleaned = scrub(f"{before} {secret} {after}", [secret])
    assert secret not in cleaned
    assert REDACTED in cleaned


@given(
    secret=st.text(KEY_CHARS, min_size=20, max_size=60),
    data=st.data(),
    prefix=st.sampled_from(["", "key=", "x", "sk-"]),
)
def test_a_long_fragment_of_a_secret_is_scrubbed(
    secret: str, data: st.DataObject, prefix: str
) -> None:
    start = data.draw(st.integers(0, len(secret) - 16))
    fragment = secret[start : start + data.draw(st.integers(16, len(secret) - start))]
    cleaned = scrub(f"the server said {prefix}{fragment}... rejected", [secret])
    assert fragment not in cleaned
    assert "the server said" in cleaned
