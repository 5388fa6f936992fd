"""The LiteLLM proxy config as text: golden output for the example catalog and its
environments, and the words of each clash. (The document itself: tests/litellm/test_config.py;
the real proxy serving it: tests/providers/test_litellm_proxy.py.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from litellm_states import AWS, cred, model, state
from plans import check_golden

from reconciler.catalog.environments import find_environments
from reconciler.errors import CatalogError
from reconciler.litellm.config import Clash, ClashKind, SecretField
from reconciler.render.litellm_config import HEADER, clash_error, render_litellm_config
from reconciler.state.desired import load_desired
from reconciler.state.records import CredentialState

EXAMPLE = Path(__file__).resolve().parents[2] / "catalog"


def test_example_catalog_golden() -> None:
    check_golden("litellm-config.yaml", render_litellm_config(load_desired(EXAMPLE)))


@pytest.mark.parametrize("environment", find_environments(EXAMPLE).names)
def test_example_environment_goldens(environment: str) -> None:
    text = render_litellm_config(load_desired(EXAMPLE, environment))
    check_golden(f"litellm-config-{environment}.yaml", text)


def test_rendering_is_deterministic_and_parses() -> None:
    desired = load_desired(EXAMPLE)
    first = render_litellm_config(desired)
    assert render_litellm_config(load_desired(EXAMPLE)) == first
    # the order the catalog's files were read in does not show
    shuffled = dataclasses.replace(
        desired,
        models=dict(reversed(desired.models.items())),
        credentials=dict(reversed(desired.credentials.items())),
    )
    assert render_litellm_config(shuffled) == first
    assert first.startswith(HEADER)
    doc = yaml.safe_load(first)
    assert list(doc) == ["model_list", "credential_list", "router_settings", "general_settings"]


@pytest.mark.parametrize(
    ("creds", "message"),
    [
        # two credential names that normalise to one variable
        (
            (cred("prod-a"), cred("prod.a", api_key=AWS)),
            "credential prod-a, api_key and credential prod.a, api_key would both reach the "
            "LiteLLM proxy as LITELLM_CRED_PROD_A_API_KEY",
        ),
        # an env reference that takes another credential's generated variable
        (
            (cred("a"), cred("b", api_key={"env": "LITELLM_CRED_A_API_KEY"})),
            "credential a, api_key and credential b, api_key would both reach the LiteLLM proxy "
            "as LITELLM_CRED_A_API_KEY",
        ),
        (
            (cred("a", api_key={"env": "LITELLM_MASTER_KEY"}),),
            "credential a, api_key: the LiteLLM config reserves LITELLM_MASTER_KEY for the "
            "proxy's master key",
        ),
    ],
)
def test_variable_collisions_are_errors(creds: tuple[CredentialState, ...], message: str) -> None:
    models = [model(f"m{i}", c.name) for i, c in enumerate(creds)]
    with pytest.raises(CatalogError) as info:
        render_litellm_config(state(*creds, models=models))
    assert info.value.message == message
    assert info.value.hint


def test_a_model_named_default_clashes_with_the_default_alias() -> None:
    desired = state(cred("a"), models=[model("default", "a"), model("m", "a")], default_model="m")
    with pytest.raises(CatalogError, match="clashes with the LiteLLM alias 'default'") as info:
        render_litellm_config(desired)
    assert info.value.hint == "give the model another slug"


def test_a_previous_slug_default_clashes_with_the_default_alias() -> None:
    models = [model("m", "a"), model("n", "a", previous=("default",))]
    with pytest.raises(CatalogError, match="model n: its previous slug 'default' clashes") as info:
        render_litellm_config(state(cred("a"), models=models, default_model="m"))
    assert info.value.hint == "remove 'default' from its previous_slugs"


def test_every_clash_is_worded_in_one_error_in_a_stable_order() -> None:
    creds = (
        cred("a", api_key={"env": "LITELLM_MASTER_KEY"}),
        cred("b"),
        cred("c", api_key={"env": "LITELLM_CRED_B_API_KEY"}),
    )
    models = [
        model("default", "a"),
        model("m", "b"),
        model("n", "c", previous=("default",)),
    ]
    desired = state(*creds, models=models, default_model="m")
    with pytest.raises(CatalogError) as info:
        render_litellm_config(desired)
    worded = [
        clash_error(clash)
        for clash in (
            Clash(
                ClashKind.RESERVED_VARIABLE,
                "LITELLM_MASTER_KEY",
                (SecretField("a", "api_key"),),
            ),
            Clash(
                ClashKind.SHARED_VARIABLE,
                "LITELLM_CRED_B_API_KEY",
                (SecretField("b", "api_key"), SecretField("c", "api_key")),
            ),
            Clash(ClashKind.MODEL_NAMED_DEFAULT, model="default"),
            Clash(ClashKind.PREVIOUS_SLUG_DEFAULT, model="n"),
        )
    ]
    assert info.value.message == (
        "the catalog cannot be rendered as a LiteLLM config: 4 clashes:"
        + "".join(f"\n  {e.message}\n    hint: {e.hint}" for e in worded)
    )
    assert info.value.hint
    assert info.value.exit_code == 1
    # the order the catalog's files were read in does not show
    shuffled = dataclasses.replace(
        desired,
        models=dict(reversed(desired.models.items())),
        credentials=dict(reversed(desired.credentials.items())),
    )
    with pytest.raises(CatalogError) as again:
        render_litellm_config(shuffled)
    assert again.value.message == info.value.message


def _clash(kind: ClashKind) -> Clash:
    return Clash(
        kind,
        variable="V",
        secrets=(SecretField("c1", "api_key"), SecretField("c2", "api_key")),
        model="m",
    )


@pytest.mark.parametrize("kind", list(ClashKind))
def test_every_clash_is_worded_with_a_hint(kind: ClashKind) -> None:
    error = clash_error(_clash(kind))
    assert isinstance(error, CatalogError)
    assert error.exit_code == 1
    assert error.hint
    assert len({clash_error(_clash(k)).message for k in ClashKind}) == len(ClashKind)
