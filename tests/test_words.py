"""The shared words: the one did-you-mean every message uses."""

from __future__ import annotations

from reconciler.words import closest, did_you_mean


def test_closest_and_did_you_mean() -> None:
    known = {"staging", "production"}
    assert closest("stagin", known) == "staging"
    assert did_you_mean("stagin", known) == "; did you mean 'staging'?"
    assert closest("qa", known) is None
    assert did_you_mean("qa", known) == ""


def test_a_tie_does_not_depend_on_the_order_given() -> None:
    # equally close: the answer is the same whatever order the caller's names come in
    assert closest("ab", ["aa", "bb"]) == closest("ab", ["bb", "aa"])


def test_a_name_differing_only_by_case_is_the_closest() -> None:
    # difflib's ratio alone finds 'AB-C' no match for 'ab-c' (too few characters agree)
    assert closest("ab-c", ["AB-C", "ab-x"]) == "AB-C"
    assert closest("prod_openai", ["prod-anthropic", "Prod_OpenAI"]) == "Prod_OpenAI"
    assert closest("same", ["same", "SAME"]) == "same"
