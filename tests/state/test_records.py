"""The shared records: the digest stored with every row the reconciler writes."""

from __future__ import annotations


def test_applied_digest_depends_on_values_not_key_order() -> None:
    from reconciler.state.records import applied_digest

    assert applied_digest({"a": 3, "b": None}) == applied_digest({"b": None, "a": 3})
    assert applied_digest({"a": 3}) != applied_digest({"a": 3.5})
    assert applied_digest({"a": 3}) != applied_digest({"a": 3}, active=False)
    assert applied_digest({"a": "x"}) != applied_digest({"a": "y"})
