"""Semantic rules: every independent problem in one run, and no follow-on errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.catalog.load import load_catalog
from reconciler.catalog.validate import validate_catalog
from reconciler.errors import CatalogError

CRED = "kind: ProviderCredential\nname: prod-anthropic\nprovider: anthropic\n"
ENV_KEY = "api_key:\n  env: ANTHROPIC_API_KEY\n"
MODEL = (
    "kind: Model\ndisplay_name: Claude Sonnet 4\ndeployment: custom\nprovider: anthropic\n"
    "model_id: claude-sonnet-4-20250514\ncontext_window: 200000\n"
)
SETTINGS = "kind: Settings\ndefault_model: claude-sonnet-4\n"


def _codes(root: Path, files: dict[str, str]) -> list[tuple[str, str]]:
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    catalog = validate_catalog(root)
    return sorted((Path(d.path).name, d.code) for d in catalog.diagnostics)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"c.yaml": CRED + ENV_KEY, "m.yaml": MODEL, "s.yaml": SETTINGS + "defaultModel: x\n"},
            [("s.yaml", "unknown-field")],
            id="unknown key in Settings: no default-model-missing",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL,
                "s.yaml": "kind: Settings\ndefault_model: 5\n",
            },
            [("s.yaml", "wrong-type")],
            id="invalid default_model: not also missing",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL + "credential: prod-antropic\ncategory: premiun\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "invalid-value"), ("m.yaml", "unknown-credential")],
            id="category typo does not hide credential typo",
        ),
        pytest.param(
            {
                "c.yaml": CRED + "api_key: sk-ant-CANARY\n",
                "m.yaml": MODEL + "credential: prod-anthropic\n",
                "s.yaml": SETTINGS,
            },
            [("c.yaml", "plaintext-secret")],
            id="broken credential: its users are not told it is unknown",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY + "base_url: https://u:CANARY@gw.example.com\n",
                "m.yaml": MODEL.replace("anthropic", "openai") + "credential: prod-anthropic\n",
                "s.yaml": SETTINGS,
            },
            [("c.yaml", "plaintext-secret"), ("m.yaml", "credential-provider-mismatch")],
            id="credential in a URL does not hide a provider mismatch",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL + "enabled: off\nmax_output_tokens: 300000\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "max-output-exceeds-context"), ("m.yaml", "wrong-type")],
            id="YAML 1.1 boolean: not also default-model-disabled",
        ),
        pytest.param(
            {"c.yaml": CRED + ENV_KEY, "m.yaml": MODEL + "slug: Bad_Slug\n", "s.yaml": SETTINGS},
            [("m.yaml", "invalid-value")],
            id="invalid slug: identity unknown, so no default-model-unknown",
        ),
        pytest.param(
            {"c.yaml": CRED + ENV_KEY, "m.yaml": MODEL + "category: x\n"},
            [("catalog", "default-model-missing"), ("m.yaml", "invalid-value")],
            id="no Settings at all is still reported beside a broken model",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY + "kind: Model\n",  # duplicate key: kept, checked
                "m.yaml": MODEL + "credential: prod-anthropc\n",
                "s.yaml": SETTINGS,
            },
            [("c.yaml", "duplicate-key"), ("m.yaml", "unknown-credential")],
            id="duplicate key does not hide the references",
        ),
        *(
            pytest.param(
                {
                    "c.yaml": CRED.replace("prod-anthropic", written) + ENV_KEY,
                    "m.yaml": MODEL + f'credential: "{written}"\n',
                    "s.yaml": SETTINGS,
                },
                [("c.yaml", "wrong-type")],
                id=f"credential named {written}, not text: its users are not told it is unknown",
            )
            for written in ("2024", "1e3", "0x1f", "true")
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL + "credential: team\n",
                "t.yaml": MODEL.replace("Claude Sonnet 4", "Team").replace("200000", "lots")
                + "slug: team\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "unknown-credential"), ("t.yaml", "wrong-type")],
            id="a broken model does not hide an unknown credential of its name",
        ),
        pytest.param(
            {
                "c.yaml": CRED.replace("ProviderCredential", "Credential") + ENV_KEY,
                "m.yaml": MODEL + "credential: prod-anthropic\n",
                "s.yaml": SETTINGS + "platform_credential: prod-anthropic\n",
            },
            [("c.yaml", "invalid-value")],
            id="misspelled kind: what it names is not unknown, nor are there no credentials",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL.replace("200000", "128k") + "credential: prod-antropic\n"
                "max_output_tokens: 64000\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "unknown-credential"), ("m.yaml", "wrong-type")],
            id="invalid required field does not hide a credential typo, nor is compared",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL.replace("context_window: 200000\n", "")
                + "credential: prod-antropic\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "missing-field"), ("m.yaml", "unknown-credential")],
            id="missing required field does not hide a credential typo",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL.replace("deployment: custom", "deployment: byok")
                + "credential: prod-anthropic\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "invalid-value")],
            id="invalid deployment: a credential that exists is not questioned",
        ),
        pytest.param(
            {
                "c.yaml": CRED + "api_key:\n  env: 1BAD\n",
                "m.yaml": MODEL + "credential: prod-anthropic\n",
                "s.yaml": SETTINGS,
            },
            [("c.yaml", "invalid-value")],
            id="credential with an invalid api_key still defines its name",
        ),
        pytest.param(
            {
                "c.yaml": CRED + "api_key:\n  env: 1BAD\n",
                "d.yaml": CRED,
                "m.yaml": MODEL,
                "s.yaml": SETTINGS,
            },
            [
                ("c.yaml", "invalid-value"),
                ("d.yaml", "duplicate-credential"),
                ("d.yaml", "missing-field"),
            ],
            id="credentials with invalid or missing api_key are still unique by name",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL.replace("deployment: custom", "deployment: platform").replace(
                    "model_id: claude-sonnet-4-20250514", "model_id: anthropic claude"
                )
                + "credential: prod-anthropic\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "invalid-value"), ("m.yaml", "platform-model-credential")],
            id="invalid model_id of a platform model: told once, the credential too",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL.replace("Claude Sonnet 4", '"Claude\\tSonnet"')
                + "slug: claude-sonnet-4\ncredential: prod-antropic\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "invalid-value"), ("m.yaml", "unknown-credential")],
            id="invalid display_name beside an explicit slug: the model is still checked",
        ),
        pytest.param(
            {
                "c.yaml": CRED + ENV_KEY,
                "m.yaml": MODEL.replace("Claude Sonnet 4", '"Claude\\tSonnet 4"')
                + "credential: prod-antropic\n",
                "s.yaml": SETTINGS,
            },
            [("m.yaml", "invalid-value")],
            id="invalid display_name without a slug: which model it is is unknown",
        ),
    ],
)
def test_independent_problems_and_no_follow_on_errors(
    tmp_path: Path, files: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert _codes(tmp_path / "catalog", files) == expected


def test_unknown_references_suggest_the_closest_name(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "c.yaml").write_text(CRED + ENV_KEY)
    (root / "m.yaml").write_text(MODEL + "credential: prod-antropic\n")
    (root / "s.yaml").write_text("kind: Settings\ndefault_model: claude-sonet-4\n")
    messages = sorted(d.message for d in validate_catalog(root).diagnostics)
    assert messages == [
        "no ProviderCredential named 'prod-antropic' in the catalog; did you mean "
        "'prod-anthropic'?",
        "no model with slug 'claude-sonet-4' in the catalog; did you mean 'claude-sonnet-4'?",
    ]


def test_repaired_documents_reach_the_rules_only(tmp_path: Path) -> None:
    """A document with problems is checked without its bad values, but never becomes part of
    the desired state (plan, apply, lint and the counts use the complete objects only)."""
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "c.yaml").write_text(CRED + ENV_KEY + "colour: blue\n")
    (root / "m.yaml").write_text(MODEL + "category: premiun\n")
    (root / "s.yaml").write_text(SETTINGS)
    catalog = load_catalog(root)
    assert catalog.models == []
    assert catalog.credentials == []
    assert len(catalog.settings) == 1
    assert [(Path(e.doc.path).name, e.dropped) for e in catalog.repaired] == [
        ("c.yaml", frozenset({"colour"})),
        ("m.yaml", frozenset({"category"})),
    ]


def test_symlink_inside_the_catalog_is_read_and_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "model.txt").write_text(MODEL)
    (root / "m.yaml").symlink_to(Path("shared") / "model.txt")
    (tmp_path / "outside.yaml").write_text(SETTINGS)
    (root / "s.yaml").symlink_to(tmp_path / "outside.yaml")
    catalog = load_catalog(root)
    assert [e.spec.display_name for e in catalog.models] == ["Claude Sonnet 4"]
    assert catalog.settings == []
    assert [(Path(d.path).name, d.code) for d in catalog.diagnostics] == [
        ("s.yaml", "symlink-escapes")
    ]


def test_catalog_root_that_is_not_utf8_is_printable(tmp_path: Path) -> None:
    base = os.fsdecode(os.fsencode(tmp_path) + b"/cat\xe9")
    with pytest.raises(CatalogError) as caught:
        load_catalog(base)
    str(caught.value).encode("utf-8")  # printable: no surrogates
    assert "cat\\xe9" in str(caught.value)
    os.mkdir(base)
    catalog = load_catalog(base)
    assert [d.code for d in catalog.diagnostics] == ["no-catalog-files"]
    assert catalog.diagnostics[0].path.endswith("/cat\\xe9/")
    with open(os.path.join(base, "m.yaml"), "w") as fh:
        fh.write(MODEL)
    (diagnostic,) = validate_catalog(base).diagnostics  # the file is read: the folder is fine
    assert diagnostic.code == "default-model-missing"
    assert diagnostic.path.endswith("/cat\\xe9/")


def test_every_required_field_has_a_valid_stand_in() -> None:
    """A document missing a required field (or holding an invalid one) is repaired with a
    stand-in; a required field without one would make the whole document hide its other
    problems again."""
    from pydantic import TypeAdapter

    from reconciler.catalog.load import _CREDENTIAL_CLASSES, _IDENTITY, PLACEHOLDERS
    from reconciler.catalog.spec import ModelSpec, SettingsSpec

    required = {
        (cls, name)
        for cls in {ModelSpec, SettingsSpec, *_CREDENTIAL_CLASSES.values()}
        for name, info in cls.model_fields.items()
        if info.is_required() and name not in _IDENTITY
    }
    assert {name for _, name in required} == set(PLACEHOLDERS)
    for cls, name in required:
        info = cls.model_fields[name]
        TypeAdapter(info.rebuild_annotation()).validate_python(PLACEHOLDERS[name], strict=True)


def _unknown(root: Path, files: dict[str, str]) -> list[str]:
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    return [d.message for d in validate_catalog(root).diagnostics if d.code.startswith("unknown")]


def test_an_unknown_credential_suggests_a_broken_one_and_says_where_it_is(
    tmp_path: Path,
) -> None:
    bad = "kind: ProviderCredential\nname: Prod_Anthropic\nprovider: anthropic\n" + ENV_KEY
    found = _unknown(
        tmp_path / "c",
        {
            "c.yaml": bad,
            "m.yaml": MODEL + "credential: prod_anthropic\n",
            "s.yaml": SETTINGS + "platform_credential: prod_anthropic\n",
        },
    )
    where = f"(its document, at {tmp_path / 'c' / 'c.yaml'}:1, has errors of its own)"
    hint = f"; did you mean 'Prod_Anthropic'? {where}"
    assert found == [
        f"no ProviderCredential named 'prod_anthropic' in the catalog{hint}",
        f"no ProviderCredential named 'prod_anthropic' in the catalog{hint}",
    ]


def test_a_broken_document_of_another_or_a_misspelled_kind_is_not_suggested(
    tmp_path: Path,
) -> None:
    found = _unknown(
        tmp_path / "c",
        {
            "c.yaml": "kind: ProviderCredentail\nname: Prod_Anthropic\nprovider: anthropic\n"
            + ENV_KEY,
            "o.yaml": "kind: Model\nslug: Prod_Anthropic\n",
            "m.yaml": MODEL + "credential: prod_anthropic\n",
            "s.yaml": SETTINGS,
        },
    )
    assert found == ["no ProviderCredential named 'prod_anthropic' in the catalog"]


def test_a_suggested_broken_name_is_escaped(tmp_path: Path) -> None:
    bad = 'kind: ProviderCredential\nname: "prod\\u202eanthropic"\nprovider: anthropic\n'
    [message] = _unknown(
        tmp_path / "c",
        {"c.yaml": bad + ENV_KEY, "m.yaml": MODEL + "credential: prod-anthropic\n"},
    )
    assert "did you mean 'prod\\u202eanthropic'?" in message
    assert "\u202e" not in message
