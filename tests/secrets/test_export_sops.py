"""export copies the SOPS files the registry's references name, still encrypted, into --out
(same relative layout, never outside it), so the exported catalog validates; what it cannot
copy it lists with what to do. Real sops binary, generated age identity, both backends.
(Here rather than under tests/commands: the sops fixtures live in this folder.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from engine_helpers import apply, cli, model_doc, secret_env
from secretkit import SopsCatalog

CANARY = "sk-CANARY-export-sops-0123456789"


def _catalog(sops: SopsCatalog) -> Path:
    root = sops.root
    sops.encrypt("secrets/prod.enc.yaml", f"openai:\n  key: {CANARY}\n")
    docs = [
        {
            "kind": "ProviderCredential",
            "name": "c1",
            "provider": "openai",
            "api_key": {"sops": {"file": "secrets/prod.enc.yaml", "key": "openai.key"}},
        },
        model_doc("m1", credential="c1"),
        {"kind": "Settings", "default_model": "m1"},
    ]
    (root / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return root


@pytest.fixture
def applied(
    sops_catalog: SopsCatalog, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    for name, value in secret_env().items():
        monkeypatch.setenv(name, value)
    root = _catalog(sops_catalog)
    result = apply(registry_url, root)
    assert result.exit_code == 0, result.output
    return root, registry_url


def test_export_copies_the_encrypted_files_and_the_export_validates(
    applied: tuple[Path, str], tmp_path: Path
) -> None:
    root, url = applied
    out = tmp_path / "exported"
    result = cli(["export", "--db", url, "--out", str(out), "--catalog", str(root)])
    assert result.exit_code == 0, result.output
    assert "Copied 1 SOPS file the credentials refer to (still encrypted): " in result.output
    copied = out / "secrets" / "prod.enc.yaml"
    assert copied.read_bytes() == (root / "secrets" / "prod.enc.yaml").read_bytes()
    assert CANARY not in copied.read_text()  # never decrypted
    assert CANARY not in result.output
    validated = cli(["validate", "--catalog", str(out)])
    assert validated.exit_code == 0, validated.output
    planned = cli(["plan", "--catalog", str(out), "--db", url, "--detailed-exitcode"])
    assert planned.exit_code == 0, planned.output  # the same secret, read through the copy


def test_export_without_the_catalog_lists_the_files_and_what_to_do(
    applied: tuple[Path, str], tmp_path: Path
) -> None:
    _, url = applied
    out = tmp_path / "exported"
    elsewhere = tmp_path / "no-catalog"
    result = cli(["export", "--db", url, "--out", str(out), "--catalog", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert "warning: 1 SOPS file the credentials refer to was not copied" in result.output
    assert (
        f"  secrets/prod.enc.yaml: no catalog directory {elsewhere} to copy it from; copy the "
        f"encrypted file to {out / 'secrets' / 'prod.enc.yaml'}"
    ) in result.output
    assert not (out / "secrets").exists()


def test_a_plain_file_at_the_path_is_not_copied(applied: tuple[Path, str], tmp_path: Path) -> None:
    root, url = applied
    (root / "secrets" / "prod.enc.yaml").write_text(f"openai:\n  key: {CANARY}\n")
    out = tmp_path / "exported"
    result = cli(["export", "--db", url, "--out", str(out), "--catalog", str(root)])
    assert result.exit_code == 0, result.output
    assert "is not SOPS-encrypted, so it is not copied" in result.output
    assert CANARY not in result.output
    assert not (out / "secrets").exists()


def test_paths_that_leave_the_catalog_are_never_copied(sops_catalog: SopsCatalog) -> None:
    from reconciler.export.sops import collect

    sops_catalog.encrypt("inside.enc.yaml", "a: b\n")
    outside = sops_catalog.root.parent / "outside.enc.yaml"
    outside.write_bytes((sops_catalog.root / "inside.enc.yaml").read_bytes())
    copies = collect(
        ["../outside.enc.yaml", str(outside), "inside.enc.yaml", "gone.enc.yaml"],
        sops_catalog.root,
    )
    assert list(copies.files) == ["inside.enc.yaml"]
    assert dict(copies.missing) == {
        "../outside.enc.yaml": "its path leaves the catalog",
        str(outside): "its path leaves the catalog",
        "gone.enc.yaml": f"not found in {sops_catalog.root}",
    }
