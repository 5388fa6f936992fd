"""A missing extra is a user error naming the exact pip install (reconciler/extras.py)."""

from __future__ import annotations

import pytest

from reconciler import extras


def test_installed_extras_pass() -> None:
    for extra in extras.EXTRAS:  # the test install has [all]
        assert extras.missing(extra) is None
        extras.require(extra, "this")


def test_a_missing_module_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(extras.EXTRAS, "litellm", ("litellm", "no_such_module_for_test"))
    with pytest.raises(extras.MissingExtraError) as caught:
        extras.require("litellm", "reconciler lint")
    assert caught.value.exit_code == 1
    assert str(caught.value) == (
        "reconciler lint needs no_such_module_for_test, which the core install leaves out\n"
        "  hint: pip install 'llm-registry-reconciler[litellm]'"
    )
