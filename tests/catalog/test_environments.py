"""Environments: the merge rules (table-driven), identities, where diagnostics point, and the
example catalog's overlays. Golden diagnostics at overlay lines live in
corpus/environment-overlay-errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.catalog.environments import (
    find_environments,
    identity,
    load_environment,
    merge,
    require_environment,
)
from reconciler.catalog.load import load_catalog, model_slug
from reconciler.catalog.validate import validate_catalog
from reconciler.errors import CatalogError

EXAMPLE = Path(__file__).parents[2] / "catalog"
WHOLE = frozenset({"api_key"})


@pytest.mark.parametrize(
    ("base", "patch", "expected"),
    [
        pytest.param({"a": 1}, {"a": 2}, {"a": 2}, id="scalar-replaces"),
        pytest.param({"a": 1}, {"b": 2}, {"a": 1, "b": 2}, id="new-key-added"),
        pytest.param({"a": [1, 2]}, {"a": [3]}, {"a": [3]}, id="list-replaces"),
        pytest.param(
            {"c": {"x": 1, "y": 2}}, {"c": {"y": 3}}, {"c": {"x": 1, "y": 3}}, id="map-merges"
        ),
        pytest.param(
            {"c": {"x": {"p": 1, "q": 2}}},
            {"c": {"x": {"q": 9}}},
            {"c": {"x": {"p": 1, "q": 9}}},
            id="map-merges-deep",
        ),
        pytest.param({"a": 1, "b": 2}, {"b": None}, {"a": 1}, id="null-removes"),
        pytest.param({"c": {"x": 1, "y": 2}}, {"c": {"x": None}}, {"c": {"y": 2}}, id="null-deep"),
        pytest.param({"a": 1}, {"z": None}, {"a": 1}, id="null-of-absent-is-nothing"),
        pytest.param({"c": {"x": 1}}, {"c": False}, {"c": False}, id="scalar-over-map"),
        pytest.param({"c": True}, {"c": {"x": 1}}, {"c": {"x": 1}}, id="map-over-scalar"),
        pytest.param(
            {"api_key": {"sops": {"file": "s.yaml", "key": "k"}}},
            {"api_key": {"env": "STAGING_KEY"}},
            {"api_key": {"env": "STAGING_KEY"}},
            id="secret-reference-replaced-whole",
        ),
        pytest.param(
            {"c": {"sops": {"file": "s.yaml"}}},
            {"c": {"env": "X"}},
            {"c": {"sops": {"file": "s.yaml"}, "env": "X"}},
            id="other-maps-merge",
        ),
    ],
)
def test_merge(base: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    before = repr(base)
    assert merge(base, patch, whole=WHOLE) == expected
    assert repr(base) == before  # the base document is not changed


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "Model", "slug": "gpt-4o"}, ("Model", "gpt-4o")),
        ({"kind": "Model", "display_name": "GPT 4o Mini"}, ("Model", "gpt-4o-mini")),
        ({"kind": "Model", "slug": "x", "display_name": "Other"}, ("Model", "x")),
        ({"kind": "Model", "enabled": False}, None),
        ({"kind": "ProviderCredential", "name": "team"}, ("ProviderCredential", "team")),
        ({"kind": "ProviderCredential"}, None),
        ({"kind": "Settings", "default_model": "m"}, ("Settings", "")),
        ({"kind": "Other", "name": "n"}, None),
    ],
)
def test_identity(data: dict[str, Any], expected: tuple[str, str] | None) -> None:
    assert identity(data) == expected


def test_base_loader_skips_environments() -> None:
    base = load_catalog(EXAMPLE)
    assert not any("catalog/environments/" in e.doc.path for e in base.models)
    assert not any("catalog/environments/" in e.doc.path for e in base.credentials)


def test_example_production_patches() -> None:
    production = load_environment(EXAMPLE, "production")
    assert production.diagnostics == []
    models = {model_slug(e.spec): e.spec for e in production.models}
    assert models["gpt-5-5"].enabled is False
    assert models["gpt-4o"].max_output_tokens == 8192
    # untouched fields keep the base's values
    assert models["gpt-4o"].context_window == 128000
    creds = {e.spec.name: e.spec for e in production.credentials}
    assert creds["prod-openai"].api_key.model_dump(exclude_none=True) == {  # type: ignore[union-attr]
        "env": "PRODUCTION_OPENAI_API_KEY"
    }
    assert production.digest != load_catalog(EXAMPLE).digest


def test_example_staging_adds_a_model() -> None:
    staging = load_environment(EXAMPLE, "staging")
    base = load_catalog(EXAMPLE)
    assert staging.diagnostics == []
    added = {model_slug(e.spec) for e in staging.models} - {model_slug(e.spec) for e in base.models}
    assert added == {"gpt-4-1-mini"}


def _model(catalog: Any) -> Any:
    return next(e.spec for e in catalog.models if model_slug(e.spec) != "d")


@pytest.mark.parametrize(
    ("base", "patch", "check", "expected"),
    [
        pytest.param(
            "kind: Model\nslug: m\ndisplay_name: M\ndeployment: custom\nprovider: openai\n"
            "model_id: m\ncontext_window: 1000\nmax_output_tokens: 500\ndescription: d\n",
            "kind: Model\nslug: m\nmax_output_tokens: null\ndescription: null\n",
            lambda c: (_model(c).max_output_tokens, _model(c).description),
            (None, None),
            id="null-removes-optional-fields",
        ),
        pytest.param(
            "kind: ProviderCredential\nname: k\nprovider: openai\n"
            "api_key: {sops: {file: s.enc.yaml, key: api_key}}\n",
            "kind: ProviderCredential\nname: k\napi_key: {env: DEV_KEY}\n",
            lambda c: c.credentials[0].spec.api_key.model_dump(exclude_none=True),
            {"env": "DEV_KEY"},
            id="secret-reference-replaced-whole",
        ),
        pytest.param(
            "kind: Model\ndisplay_name: GPT 5\ndeployment: custom\nprovider: openai\n"
            "model_id: g\ncontext_window: 1000\n",
            "kind: Model\ndisplay_name: GPT 5\nenabled: false\n",
            lambda c: (model_slug(_model(c)), _model(c).enabled),
            ("gpt-5", False),
            id="identity-from-display-name",
        ),
    ],
)
def test_the_merged_catalog(
    tmp_path: Path, base: str, patch: str, check: Any, expected: Any
) -> None:
    """End to end: the overlay's patch in the environment's typed catalog, the base's as it
    was."""
    catalog = tmp_path / "catalog"
    (catalog / "environments" / "dev").mkdir(parents=True)
    (catalog / "base.yaml").write_text(base)
    (catalog / "default.yaml").write_text(
        "kind: Model\nslug: d\ndisplay_name: D\ndeployment: custom\nprovider: openai\n"
        "model_id: d\ncontext_window: 1000\n---\nkind: Settings\ndefault_model: d\n"
    )
    (catalog / "environments" / "dev" / "o.yaml").write_text(patch)
    merged = load_environment(catalog, "dev")
    assert merged.diagnostics == []
    assert check(merged) == expected
    assert check(load_catalog(catalog)) != expected


def test_environment_names() -> None:
    assert find_environments(EXAMPLE).names == ["production", "staging"]


def test_unknown_environment_lists_those_that_exist() -> None:
    with pytest.raises(CatalogError) as err:
        require_environment(EXAMPLE, "prod")
    assert "unknown environment 'prod'" in err.value.message
    assert "production, staging" in err.value.message


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("stagign", "; did you mean 'staging'?"), ("prodution", "; did you mean 'production'?")],
)
def test_unknown_environment_suggests_the_closest(name: str, suggestion: str) -> None:
    with pytest.raises(CatalogError) as err:
        require_environment(EXAMPLE, name)
    assert err.value.message == (
        f"unknown environment '{name}'; the catalog's environments: production, staging"
        + suggestion
    )


def test_unknown_environment_suggests_nothing_far_off() -> None:
    with pytest.raises(CatalogError) as err:
        require_environment(EXAMPLE, "qa")
    assert "did you mean" not in err.value.message


def test_environments_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "environments").write_text("x")
    found = find_environments(tmp_path)
    assert found.names == []
    assert [d.code for d in found.diagnostics] == ["environment-not-a-folder"]


def test_removing_a_required_field_is_reported_at_the_patch(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    (catalog / "environments" / "dev").mkdir(parents=True)
    (catalog / "c.yaml").write_text(
        "kind: ProviderCredential\nname: team\nprovider: openai\napi_key: {env: K}\n"
    )
    (catalog / "environments" / "dev" / "o.yaml").write_text(
        "kind: ProviderCredential\nname: team\napi_key: null\n"
    )
    dev = load_environment(catalog, "dev")
    shown = [(d.path.rsplit("/", 1)[-1], d.line, d.environment) for d in dev.diagnostics]
    assert shown == [("o.yaml", 1, "dev")], dev.diagnostics


_TEAM = "kind: ProviderCredential\nname: team\nprovider: openai\napi_key: {env: K}\n"
_SETTINGS = "kind: Settings\ndefault_model: m\n"
_M = "kind: Model\nslug: m\ndisplay_name: M\ndeployment: custom\nprovider: openai\nmodel_id: m\n"
# a duplicate key loses nothing (the first is kept), so the document is still checked
_DUPLICATE_KEY = "credential: teem\ncredential: team\ncontext_window: 1000\n"


def _shown(catalog: Any) -> list[tuple[str, int, str]]:
    return sorted((d.path.rsplit("/", 1)[-1], d.line, d.code) for d in catalog.diagnostics)


def test_an_overlay_with_a_duplicate_key_is_checked_as_the_base_is(tmp_path: Path) -> None:
    """The first of the duplicate keys names an unknown credential: reported beside the
    duplicate key, in a base file and in an overlay alike (the overlay once dropped the
    file and hid every other problem in it)."""
    catalog = tmp_path / "catalog"
    (catalog / "environments" / "dev").mkdir(parents=True)
    (catalog / "c.yaml").write_text(_TEAM + "---\n" + _SETTINGS)
    (catalog / "m.yaml").write_text(_M + _DUPLICATE_KEY)
    assert _shown(validate_catalog(catalog)) == [
        ("m.yaml", 7, "unknown-credential"),
        ("m.yaml", 8, "duplicate-key"),
    ]
    (catalog / "m.yaml").write_text(_M + "credential: team\ncontext_window: 1000\n")
    (catalog / "environments" / "dev" / "o.yaml").write_text(
        "kind: Model\nslug: m\n" + _DUPLICATE_KEY
    )
    dev = load_environment(catalog, "dev")
    assert _shown(dev) == [("o.yaml", 3, "unknown-credential"), ("o.yaml", 4, "duplicate-key")]
    # the patched model is seen by the rules only, as a base file's would be
    assert dev.models == []
    assert [model_slug(e.spec) for e in dev.repaired] == ["m"]


def test_a_patch_of_a_repaired_base_object_repeats_none_of_its_problems(tmp_path: Path) -> None:
    """A base model missing a required field, with a category typo, is checked (repaired);
    a patch that leaves both alone brings its own problem only. The missing field would be
    placed at the patch (it is in neither document); the typo in the base file twice."""
    catalog = tmp_path / "catalog"
    (catalog / "environments" / "dev").mkdir(parents=True)
    (catalog / "c.yaml").write_text(_TEAM + "---\n" + _SETTINGS)
    (catalog / "m.yaml").write_text(_M + "category: premiun\n")
    (catalog / "environments" / "dev" / "o.yaml").write_text(
        "kind: Model\nslug: m\ncredential: teem\n"
    )
    base = [("m.yaml", 1, "missing-field"), ("m.yaml", 7, "invalid-value")]
    assert _shown(validate_catalog(catalog)) == base
    dev = load_environment(catalog, "dev")
    assert _shown(dev) == sorted([*base, ("o.yaml", 3, "unknown-credential")])
    # a patch that removes the field itself is reported at the patch
    (catalog / "m.yaml").write_text(_M + "context_window: 1000\n")
    (catalog / "environments" / "dev" / "o.yaml").write_text(
        "kind: Model\nslug: m\ncontext_window: null\n"
    )
    assert _shown(load_environment(catalog, "dev")) == [("o.yaml", 1, "missing-field")]


def test_an_overlay_with_a_syntax_error_hides_what_its_file_defines(tmp_path: Path) -> None:
    """A YAML error that loses values: the file's error is the one to fix, and references
    to what it might define are not reported as unknown."""
    catalog = tmp_path / "catalog"
    (catalog / "environments" / "dev").mkdir(parents=True)
    (catalog / "m.yaml").write_text(_M + "context_window: 1000\n---\n" + _SETTINGS)
    (catalog / "environments" / "dev" / "c.yaml").write_text(_TEAM + "description: [\n")
    (catalog / "environments" / "dev" / "o.yaml").write_text(
        "kind: Model\nslug: m\ncredential: team\n"
    )
    dev = load_environment(catalog, "dev")
    assert [code for _, _, code in _shown(dev)] == ["yaml-syntax"]
    assert dev.incomplete


def test_an_overlay_links_a_sops_file_kept_beside_it(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    dev = catalog / "environments" / "dev"
    dev.mkdir(parents=True)
    (catalog / "c.yaml").write_text(
        "kind: ProviderCredential\nname: team\nprovider: openai\napi_key: {env: K}\n"
    )
    # sops leaves the keys in plain text: the rules check the key without decrypting
    (dev / "keys.enc.yaml").write_text(
        "api_key: ENC[AES256_GCM,data:xx,type:str]\nsops:\n  version: 3.9.0\n"
    )
    (dev / "o.yaml").write_text(
        "kind: ProviderCredential\nname: team\n"
        "api_key: {sops: {file: environments/dev/keys.enc.yaml, key: api_key}}\n"
    )
    merged = load_environment(catalog, "dev")
    assert merged.diagnostics == []
    assert merged.sops_files == ["environments/dev/keys.enc.yaml"]
    (dev / "o.yaml").write_text(
        "kind: ProviderCredential\nname: team\n"
        "api_key: {sops: {file: environments/dev/keys.enc.yaml, key: apikey}}\n"
    )
    [problem] = load_environment(catalog, "dev").diagnostics
    assert (problem.code, problem.path, problem.line) == (
        "sops-key-missing",
        f"{catalog.as_posix()}/environments/dev/o.yaml",
        3,
    )


@pytest.mark.parametrize("overlay", sorted((EXAMPLE / "environments").rglob("*.yaml")))
def test_example_overlays_match_their_schema(overlay: Path) -> None:
    import json

    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    from reconciler.catalog.schema import generate
    from reconciler.catalog.yamlio import load_text

    schemas = generate()
    registry = Registry().with_resources(  # type: ignore[call-arg]
        (name, Resource.from_contents(s)) for name, s in schemas.items()
    )
    text = overlay.read_text("utf-8")
    line = text.split("$schema=", 1)[1].split("\n", 1)[0]
    for doc in load_text(text, str(overlay)).documents:
        name = line.rsplit("/", 1)[-1]
        schema = json.loads(json.dumps(schemas[name]))
        errors = list(Draft202012Validator(schema, registry=registry).iter_errors(doc.data))
        assert errors == [], [e.message for e in errors]


def test_overlay_schema_requires_only_the_identity() -> None:
    from jsonschema import Draft202012Validator

    from reconciler.catalog.schema import generate

    model = Draft202012Validator(generate()["overlay-model.schema.json"])
    assert model.is_valid({"kind": "Model", "slug": "m", "max_output_tokens": None})
    assert not model.is_valid({"kind": "Model", "enabled": False})
    cred = Draft202012Validator(generate()["overlay-provider-credential.schema.json"])
    assert cred.is_valid({"kind": "ProviderCredential", "name": "c", "api_key": {"env": "K"}})
    assert not cred.is_valid({"kind": "ProviderCredential", "api_key": {"env": "K"}})
