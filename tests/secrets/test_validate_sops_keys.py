"""validate reads a SOPS file's key tree without decrypting: a reference whose key names a
mapping or a list (not one value) is an error at the reference, as the resolver would find it
at plan time. Real sops binary, generated age identity. (Here: the sops fixtures live here.)"""

from __future__ import annotations

from pathlib import Path

import yaml
from engine_helpers import cli, model_doc
from secretkit import CANARY, SopsCatalog, assert_no_canary

from reconciler.plan.alerts import ReadFailure
from reconciler.secrets.resolve import resolve_values
from reconciler.state.records import SecretRefDict

PLAIN = f"""\
nested:
  anthropic: {CANARY}
group:
  openai:
    key: sk-group-openai-0001
    org: org-0002
listed:
  - sk-listed-0003
  - sk-listed-0004
empty: {{}}
flat: sk-flat-0005
"""
FILE = "secrets/prod.enc.yaml"


def _catalog(sops: SopsCatalog, keys: list[str]) -> Path:
    sops.encrypt(FILE, PLAIN)
    docs = [
        {
            "kind": "ProviderCredential",
            "name": f"c{i}",
            "provider": "anthropic",
            "api_key": {"sops": {"file": FILE, "key": key}},
        }
        for i, key in enumerate(keys)
    ]
    docs += [model_doc("m1"), {"kind": "Settings", "default_model": "m1"}]
    (sops.root / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return sops.root


def test_a_key_naming_a_mapping_or_list_is_an_error_at_the_reference(
    sops_catalog: SopsCatalog,
) -> None:
    root = _catalog(
        sops_catalog, ["nested", "group", "listed", "empty", "flat", "nested.anthropic"]
    )
    result = cli(["validate", "--catalog", str(root)])
    assert result.exit_code == 1, result.output
    shown = str(root / "all.yaml")
    lines = [line.replace(shown, "all.yaml") for line in result.output.splitlines()]
    must = f"in {FILE}; a secret reference must name a single value"
    # each at the reference's key (line of 'key:', its value's column) in its document
    assert lines == [
        f"all.yaml:7:10: error[sops-key-not-a-value]: key 'nested' names a mapping {must}; "
        "did you mean 'nested.anthropic'?",
        f"all.yaml:15:10: error[sops-key-not-a-value]: key 'group' names a mapping {must}; "
        "name one of the values below it: group.openai.key, group.openai.org",
        f"all.yaml:23:10: error[sops-key-not-a-value]: key 'listed' names a list {must}; "
        "name one of the values below it: listed.0, listed.1",
        f"all.yaml:31:10: error[sops-key-not-a-value]: key 'empty' names a mapping {must}; "
        "this mapping holds none",
        "4 errors, 0 warnings in 1 file",
    ]
    assert_no_canary(result.output)


def test_validate_agrees_with_the_resolver(sops_catalog: SopsCatalog) -> None:
    """What validate refuses offline, the resolver refuses after decrypting; what it accepts
    (a value, also one found through its suggestion), the resolver reads."""
    root = _catalog(sops_catalog, ["nested"])
    refs: list[SecretRefDict] = [
        {"sops": {"file": FILE, "key": k}} for k in ("nested", "nested.anthropic")
    ]
    out = resolve_values(refs, root)
    assert len(out.errors) == 1
    failure = next(iter(out.errors.values()))
    assert failure.reason is ReadFailure.INVALID
    assert "is a mapping, not a string" in failure.detail
    assert len(out.values) == 1
    assert_no_canary(out.errors)


TYPED = f"""\
port: 5432
ratio: 0.5
enabled: true
quoted: '5432'
token: {CANARY}
"""


def test_a_key_naming_a_number_or_boolean_is_an_error_at_the_reference(
    sops_catalog: SopsCatalog,
) -> None:
    """sops writes a number or boolean as ENC[...,type:int] (float, bool): its type is readable
    without the key, so validate refuses it offline, as the resolver would after decrypting."""
    sops_catalog.encrypt(FILE, TYPED)
    sops_catalog.encrypt("secrets/prod.enc.json", '{"port": 5432, "flag": false}')
    refs = [
        (FILE, "port"),
        (FILE, "ratio"),
        (FILE, "enabled"),
        (FILE, "quoted"),
        (FILE, "token"),
        ("secrets/prod.enc.json", "flag"),
    ]
    docs: list[dict[str, object]] = [
        {
            "kind": "ProviderCredential",
            "name": f"c{i}",
            "provider": "anthropic",
            "api_key": {"sops": {"file": file, "key": key}},
        }
        for i, (file, key) in enumerate(refs)
    ]
    docs += [model_doc("m1"), {"kind": "Settings", "default_model": "m1"}]
    root = sops_catalog.root
    (root / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    result = cli(["validate", "--catalog", str(root)])
    assert result.exit_code == 1, result.output
    shown = str(root / "all.yaml")
    lines = [line.replace(shown, "all.yaml") for line in result.output.splitlines()]
    must = "not a string; a secret reference must name a string value"
    assert lines == [
        f"all.yaml:7:10: error[sops-key-not-a-string]: key 'port' names a number in {FILE}, "
        f"{must}: quote it in the file (edit it with sops)",
        f"all.yaml:15:10: error[sops-key-not-a-string]: key 'ratio' names a number in {FILE}, "
        f"{must}: quote it in the file (edit it with sops)",
        f"all.yaml:23:10: error[sops-key-not-a-string]: key 'enabled' names a boolean in "
        f"{FILE}, {must}: quote it in the file (edit it with sops)",
        "all.yaml:47:10: error[sops-key-not-a-string]: key 'flag' names a boolean in "
        f"secrets/prod.enc.json, {must}: quote it in the file (edit it with sops)",
        "4 errors, 0 warnings in 1 file",
    ]
    assert_no_canary(result.output)
    # the resolver agrees: it refuses what validate refused, reads what it accepted
    out = resolve_values(
        [{"sops": {"file": FILE, "key": k}} for k in ("port", "enabled", "quoted", "token")],
        root,
    )
    assert sorted(f.detail for f in out.errors.values()) == [
        f"value at 'enabled' in {FILE} is a boolean, not a string",
        f"value at 'port' in {FILE} is a number, not a string",
    ]
    assert len(out.values) == 2
    assert_no_canary(out.errors)
