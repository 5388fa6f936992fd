"""Why an AWS or SOPS secret could not be read, as a plan says it: a typed reason and AWS's error
code, never AWS's own message (it names the account, the IAM user and the secret's ARN) and never
what sops printed. A pull request comment (the markdown plan) words the reason alone; a terminal
(text) adds the reference's details and the error code. Against moto in server mode."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from engine_helpers import cli, model_doc, secret_env, write_catalog
from secretkit import SopsCatalog, new_identity

from reconciler.plan.alerts import ReadFailure, SecretNotCompared, SecretVersionsUnchecked
from reconciler.plan.model import Plan
from reconciler.render.plan_markdown import render_markdown
from reconciler.render.plan_text import render_text
from reconciler.secrets.resolve import resolve_values
from reconciler.secrets.stamp import said_once, stamp_secrets
from reconciler.state.desired import load_desired
from reconciler.state.records import SecretRefDict, ref_key

ACCOUNT = "123456789012"  # moto's account: in every ARN it names
CANARY_USER = "canary-iam-user-7f3a"


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in secret_env().items():
        monkeypatch.setenv(name, value)  # a registry key: plan reads and fingerprints values
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    assert cli(["db", "upgrade", "--db", url]).exit_code == 0
    return url


def _catalog(root: Path, api_key: dict[str, Any]) -> Path:
    credential = {"kind": "ProviderCredential", "name": "c", "provider": "openai"}
    return write_catalog(
        root, [model_doc("a", credential="c")], [{**credential, "api_key": api_key}]
    )


def _plans(catalog: Path, db: str) -> dict[str, str]:
    plans = {}
    for fmt in ("markdown", "text", "json"):
        result = cli(["plan", "--catalog", str(catalog), "--db", db, "--format", fmt])
        assert result.exit_code == 0, result.output
        plans[fmt] = result.stdout  # stderr has moto's own request log (in this process)
    return plans


@pytest.fixture
def denied(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Credentials of an IAM user with no policy, moto enforcing IAM: every Secrets Manager
    call is refused with a message naming the user's ARN. Yields the secret's full ARN."""
    arn = boto3.client("secretsmanager").create_secret(
        Name="prod/openai", SecretString="sk-value-not-readable"
    )["ARN"]
    iam = boto3.client("iam")
    iam.create_user(UserName=CANARY_USER)
    key = iam.create_access_key(UserName=CANARY_USER)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    boto3.setup_default_session()
    requests.post(f"{aws_endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        yield arn
    finally:
        # the server is the session's: later tests run without IAM enforcement
        requests.post(f"{aws_endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)


def test_aws_access_denied_is_worded_without_the_account_or_user(
    denied: str, registry: str, tmp_path: Path
) -> None:
    ref: SecretRefDict = {"aws_secretsmanager": {"secret_id": "prod/openai"}}
    failure = resolve_values([ref], tmp_path).errors[ref_key(ref)]
    assert failure.reason is ReadFailure.ACCESS_DENIED
    assert failure.code is not None

    plans = _plans(_catalog(tmp_path / "cat", ref), registry)
    for fmt, out in plans.items():
        for canary in (CANARY_USER, ACCOUNT, denied, "arn:aws", "not authorized"):
            assert canary not in out, (fmt, canary)
    row = next(line for line in plans["markdown"].split("\n") if "| secrets |" in line)
    assert "`aws_secretsmanager prod/openai` (access denied)" in row
    assert failure.code not in plans["markdown"]  # the comment words the reason alone
    # a terminal names the error code too
    assert (
        "aws_secretsmanager prod/openai (AWS secret prod/openai (region us-east-1): "
        in (plans["text"])
    )
    notes = json.loads(plans["json"])["notes"]
    (unreadable,) = [n for n in notes if n["kind"] == "secrets-unreadable"]
    assert unreadable["data"]["secrets"] == [
        [
            "aws_secretsmanager prod/openai",
            {"reason": "access-denied", "code": failure.code, "detail": failure.detail},
        ]
    ]


def test_aws_not_found(aws_endpoint: str, registry: str, tmp_path: Path) -> None:
    secret_id = f"prod/missing-{uuid.uuid4().hex[:8]}"
    ref: SecretRefDict = {"aws_secretsmanager": {"secret_id": secret_id}}
    plans = _plans(_catalog(tmp_path / "cat", ref), registry)
    row = next(line for line in plans["markdown"].split("\n") if "| secrets |" in line)
    assert f"`aws_secretsmanager {secret_id}` (not found)" in row
    assert "ResourceNotFoundException" not in plans["markdown"]
    assert ACCOUNT not in plans["markdown"]
    assert f"{secret_id} (region us-east-1): ResourceNotFoundException" in plans["text"]


def test_sops_no_key_names_no_recipient_in_the_comment(
    sops_catalog: SopsCatalog, registry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sops's own output is never shown; the recipients a terminal is told about (age keys,
    KMS key ARNs with their account) are left out of a pull request comment."""
    sops_catalog.encrypt("secrets/prod.enc.yaml", "openai: sk-sops-value-0001\n")
    other, _ = new_identity()
    wrong = sops_catalog.root.parent / "wrong.txt"
    wrong.write_text(other + "\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(wrong))
    ref = {"sops": {"file": "secrets/prod.enc.yaml", "key": "openai"}}
    write_catalog(
        sops_catalog.root,
        [model_doc("a", credential="c")],
        [{"kind": "ProviderCredential", "name": "c", "provider": "openai", "api_key": ref}],
    )
    plans = _plans(sops_catalog.root, registry)
    row = next(line for line in plans["markdown"].split("\n") if "| secrets |" in line)
    assert "`sops secrets/prod.enc.yaml#openai` (no key here can decrypt it)" in row
    assert sops_catalog.recipient not in plans["markdown"]
    assert str(wrong) not in plans["markdown"]
    assert sops_catalog.recipient in plans["text"]  # a terminal is told whom it is for


# --- --no-secrets: a version that could not be looked up ----------------------------------------


def _ci_plans(catalog: Path, db: str) -> dict[str, tuple[int, str]]:
    """A pull request's plans: --no-secrets --detailed-exitcode, in every format."""
    plans = {}
    for fmt in ("markdown", "text", "json"):
        args = ["plan", "--catalog", str(catalog), "--db", db, "--format", fmt]
        result = cli([*args, "--no-secrets", "--detailed-exitcode"])
        assert result.exit_code in (0, 2), result.output
        plans[fmt] = (result.exit_code, result.stdout)
    return plans


def _secrets_row(markdown: str) -> str:
    return next(line for line in markdown.split("\n") if "| secrets |" in line)


def test_no_secrets_plan_says_a_denied_version_lookup(
    aws_endpoint: str, registry: str, tmp_path: Path
) -> None:
    """A CI plan whose credentials may not DescribeSecret (an IAM policy that forgot it):
    the secrets check warns, naming the reference and the reason, before apply trips on it.
    The registry is applied first, so nothing else in the plan would make it exit 2."""
    arn = boto3.client("secretsmanager").create_secret(
        Name="prod/openai", SecretString="sk-value-applied-0001"
    )["ARN"]
    ref: SecretRefDict = {"aws_secretsmanager": {"secret_id": "prod/openai"}}
    catalog = _catalog(tmp_path / "cat", ref)
    applied = cli(["apply", "--catalog", str(catalog), "--db", registry, "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    before = _ci_plans(catalog, registry)
    assert {code for code, _ in before.values()} == {0}  # the version matches: no changes
    assert "could not be checked" not in before["markdown"][1]

    iam = boto3.client("iam")
    iam.create_user(UserName=CANARY_USER)
    key = iam.create_access_key(UserName=CANARY_USER)["AccessKey"]
    try:
        requests.post(f"{aws_endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
        env = {
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
        with pytest.MonkeyPatch.context() as mp:
            for name, value in env.items():
                mp.setenv(name, value)
            boto3.setup_default_session()
            plans = _ci_plans(catalog, registry)
    finally:
        requests.post(f"{aws_endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)

    # apply would read this secret and fail: --detailed-exitcode says the plan is not clean
    assert {code for code, _ in plans.values()} == {2}
    markdown, text, data = plans["markdown"][1], plans["text"][1], json.loads(plans["json"][1])
    for fmt, (_, out) in plans.items():
        for canary in (CANARY_USER, ACCOUNT, arn, "arn:aws", "not authorized", "sk-value"):
            assert canary not in out, (fmt, canary)
    row = _secrets_row(markdown)
    assert row.startswith("| ⚠️ |")
    assert (
        "1 secret's version could not be checked: `aws_secretsmanager prod/openai` (access denied)"
        in row
    )
    assert "secretsmanager:DescribeSecret" in row  # the to-do
    (note,) = [n for n in data["notes"] if n["kind"] == "secret-versions-unchecked"]
    [[reference, failure]] = note["data"]["secrets"]
    assert reference == "aws_secretsmanager prod/openai"
    assert failure["reason"] == "access-denied"
    assert failure["code"] is not None
    # the comment words the reason alone; a terminal adds the detail with AWS's error code
    # (moto answers this refusal without an error body: the code is the HTTP status)
    assert failure["detail"].startswith("AWS secret prod/openai: ")
    assert failure["detail"] not in markdown
    assert f"aws_secretsmanager prod/openai ({failure['detail']})" in text
    (check,) = [c for c in data["checks"] if c["check"] == "secrets"]
    assert check["status"] == "warn"
    assert check["unchecked"] == ["aws_secretsmanager prod/openai"]
    # the one secret is said once: not also as a secret without a source version
    assert "secret-not-compared" not in [n["kind"] for n in data["notes"]]
    assert "not compared" not in markdown
    assert "no source version" not in text


def test_no_secrets_plan_says_a_secret_id_that_does_not_exist(
    aws_endpoint: str, registry: str, tmp_path: Path
) -> None:
    secret_id = f"prod/typo-{uuid.uuid4().hex[:8]}"
    ref: SecretRefDict = {"aws_secretsmanager": {"secret_id": secret_id}}
    plans = _ci_plans(_catalog(tmp_path / "cat", ref), registry)
    markdown, text = plans["markdown"][1], plans["text"][1]
    row = _secrets_row(markdown)
    assert (
        f"1 secret's version could not be checked: `aws_secretsmanager {secret_id}` (not found)"
        in row
    )
    assert "ResourceNotFoundException" not in markdown
    assert ACCOUNT not in markdown
    assert f"AWS secret {secret_id}: ResourceNotFoundException" in text
    data = json.loads(plans["json"][1])
    (note,) = [n for n in data["notes"] if n["kind"] == "secret-versions-unchecked"]
    assert note["data"]["secrets"][0][1]["reason"] == "not-found"


def test_a_plan_that_reads_values_does_not_also_report_their_versions(
    denied: str, registry: str, tmp_path: Path
) -> None:
    """With values read, an unreadable secret is said once, as unreadable: its version does
    not matter (it is compared by value, or not at all)."""
    ref: SecretRefDict = {"aws_secretsmanager": {"secret_id": "prod/openai"}}
    data = json.loads(_plans(_catalog(tmp_path / "cat", ref), registry)["json"])
    kinds = [n["kind"] for n in data["notes"]]
    assert "secrets-unreadable" in kinds
    assert "secret-versions-unchecked" not in kinds


def test_sops_file_missing_when_versions_are_looked_up(
    sops_catalog: SopsCatalog, tmp_path: Path
) -> None:
    """The catalog validated, then the SOPS file is gone (a checkout without it): stamping by
    version reports it, typed, and the comment words the reason alone."""
    sops_catalog.encrypt("secrets/prod.enc.yaml", "openai: sk-sops-value-0002\n")
    ref = {"sops": {"file": "secrets/prod.enc.yaml", "key": "openai"}}
    write_catalog(
        sops_catalog.root,
        [model_doc("a", credential="c")],
        [{"kind": "ProviderCredential", "name": "c", "provider": "openai", "api_key": ref}],
    )
    desired = load_desired(sops_catalog.root)
    (sops_catalog.root / "secrets" / "prod.enc.yaml").unlink()
    stamped = stamp_secrets(desired, sops_catalog.root, read_values=False, keyring=None)
    (note,) = [n for n in stamped.notes if isinstance(n, SecretVersionsUnchecked)]
    [(reference, failure)] = note.secrets
    assert reference == "sops secrets/prod.enc.yaml#openai"
    assert failure.reason is ReadFailure.NOT_FOUND
    assert "secrets/prod.enc.yaml" in failure.detail
    # the diff cannot compare it either (no version): said once, as unchecked, not again
    # among the secrets without a source version; another such secret stays listed
    notes = said_once([SecretNotCompared("", ("c.api_key", "env-only.api_key"))], stamped)
    assert notes == [SecretNotCompared("", ("env-only.api_key",))]
    assert said_once([SecretNotCompared("", ("c.api_key",))], stamped) == []

    markdown = render_markdown(Plan(notes=list(stamped.notes)))
    row = _secrets_row(markdown)
    assert "`sops secrets/prod.enc.yaml#openai` (not found)" in row
    assert "does not exist" not in markdown  # the detail is a terminal's
    assert "does not exist in the catalog" in render_text(Plan(notes=list(stamped.notes)))
