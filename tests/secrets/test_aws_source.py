"""The AWS Secrets Manager source against moto in server mode (real HTTP, real botocore)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import boto3
import pytest
from secretkit import CANARY, assert_no_canary

from reconciler.plan.alerts import ReadFailure, SecretFailure
from reconciler.secrets.resolve import resolve_values, resolve_versions
from reconciler.state.records import SecretRefDict, ref_key

ROOT = Path(".")  # AWS references do not use the catalog root


def aref(secret_id: str, **extra: str) -> SecretRefDict:
    return {"aws_secretsmanager": {"secret_id": secret_id, **extra}}


def client(region: str = "us-east-1") -> Any:
    return boto3.client("secretsmanager", region_name=region)


class Calls:
    """Counts Secrets Manager API calls through botocore's own event system."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, dict[str, Any]]] = []
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(
            "before-parameter-build.secrets-manager", self._record
        )

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.ops.append((model.name, dict(params)))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [params for op, params in self.ops if op == name]


def test_batches_of_twenty(aws_endpoint: str) -> None:
    sm = client()
    refs: list[SecretRefDict] = []
    for i in range(45):
        if i % 3 == 0:
            sm.create_secret(Name=f"app/json-{i:02d}", SecretString=json.dumps({"key": f"v-{i}"}))
            refs.append(aref(f"app/json-{i:02d}", json_key="key"))
        else:
            sm.create_secret(Name=f"app/plain-{i:02d}", SecretString=f"plain-value-{i}")
            refs.append(aref(f"app/plain-{i:02d}"))
    calls = Calls()
    out = resolve_values(refs, ROOT)
    assert out.errors == {}
    assert len(out.values) == 45
    for i, ref in enumerate(refs):
        expected = f"v-{i}" if i % 3 == 0 else f"plain-value-{i}"
        assert out.values[ref_key(ref)].reveal() == expected
    batches = calls.named("BatchGetSecretValue")
    assert sorted(len(b["SecretIdList"]) for b in batches) == [5, 20, 20]
    assert [op for op, _ in calls.ops if op != "BatchGetSecretValue"] == []


def test_same_secret_read_once_for_several_keys(
    aws_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    client().create_secret(
        Name="shared", SecretString=json.dumps({"access": "AKIA-access-0001", "secret": CANARY})
    )
    caplog.set_level(logging.DEBUG)  # botocore logs response bodies at DEBUG
    # CLI tests in this process may have quietened botocore (logs.configure); undo that here
    caplog.set_level(logging.DEBUG, logger="botocore")
    refs = [aref("shared", json_key="access"), aref("shared", json_key="secret"), aref("shared")]
    calls = Calls()
    out = resolve_values(refs, ROOT)
    assert out.values[ref_key(refs[0])].reveal() == "AKIA-access-0001"
    assert out.values[ref_key(refs[1])].reveal() == CANARY
    assert json.loads(out.values[ref_key(refs[2])].reveal())["secret"] == CANARY
    assert [b["SecretIdList"] for b in calls.named("BatchGetSecretValue")] == [["shared"]]
    assert "BatchGetSecretValue" in caplog.text  # botocore did log at DEBUG...
    assert_no_canary(out, caplog.text)  # ...but never the secret


def test_missing_secret_and_json_key_errors(
    aws_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    sm = client()
    sm.create_secret(Name="good", SecretString="good-value-0001")
    sm.create_secret(Name="json", SecretString=json.dumps({"a": CANARY, "n": 5}))
    sm.create_secret(Name="malformed", SecretString="{not json " + CANARY)
    sm.create_secret(Name="binary", SecretBinary=b"\x00\x01binary")
    caplog.set_level(logging.DEBUG)
    refs = [
        aref("good"),
        aref("does-not-exist"),
        aref("json", json_key="b"),
        aref("json", json_key="n"),
        aref("malformed", json_key="a"),
        aref("binary"),
    ]
    out = resolve_values(refs, ROOT)
    assert out.values[ref_key(refs[0])].reveal() == "good-value-0001"
    failures = [out.errors[ref_key(r)] for r in refs[1:]]
    errors = [f.detail for f in failures]
    # the error code, never AWS's own message (it can name the account and the secret's ARN)
    assert errors[0] == ("AWS secret does-not-exist (region us-east-1): ResourceNotFoundException")
    assert failures[0].code == "ResourceNotFoundException"
    assert [f.reason for f in failures] == [
        ReadFailure.NOT_FOUND,
        ReadFailure.NOT_FOUND,
        ReadFailure.INVALID,
        ReadFailure.INVALID,
        ReadFailure.INVALID,
    ]
    assert errors[1] == "json_key 'b' not found in AWS secret json"
    assert errors[2] == "json_key 'n' of AWS secret json is not a string"
    assert errors[3] == (
        "AWS secret malformed is not a JSON object, so json_key 'a' cannot be read from it"
    )
    assert errors[4].startswith("AWS secret binary holds binary data")
    assert_no_canary(out, errors, caplog.text)


def test_version_stages_and_versions(aws_endpoint: str) -> None:
    sm = client()
    first = sm.create_secret(Name="rotating", SecretString="old-value-0001")["VersionId"]
    second = sm.put_secret_value(SecretId="rotating", SecretString="new-value-0002")["VersionId"]
    current, previous = aref("rotating"), aref("rotating", version_stage="AWSPREVIOUS")
    missing_stage = aref("rotating", version_stage="NOPE")
    calls = Calls()
    out = resolve_values([current, previous, missing_stage], ROOT)
    assert out.values[ref_key(current)].reveal() == "new-value-0002"
    assert out.values[ref_key(previous)].reveal() == "old-value-0001"
    assert "rotating" in out.errors[ref_key(missing_stage)].detail
    # AWSCURRENT through the batch API, other stages one GetSecretValue each.
    assert [b["SecretIdList"] for b in calls.named("BatchGetSecretValue")] == [["rotating"]]
    assert sorted(p["VersionStage"] for p in calls.named("GetSecretValue")) == [
        "AWSPREVIOUS",
        "NOPE",
    ]

    calls.ops.clear()
    ver = resolve_versions([current, previous, missing_stage, aref("gone")], ROOT)
    assert ver.versions == {ref_key(current): second, ref_key(previous): first}
    assert ver.errors[ref_key(missing_stage)] == SecretFailure(
        ReadFailure.NOT_FOUND, "AWS secret rotating has no version labelled NOPE"
    )
    assert ver.errors[ref_key(aref("gone"))] == SecretFailure(
        ReadFailure.NOT_FOUND,
        "AWS secret gone: ResourceNotFoundException",
        "ResourceNotFoundException",
    )
    # Versions need DescribeSecret only (no decrypt permission), once per secret.
    assert sorted(op for op, _ in calls.ops) == ["DescribeSecret", "DescribeSecret"]

    sm.put_secret_value(SecretId="rotating", SecretString="newer-value-0003")
    again = resolve_versions([current], ROOT)
    assert again.versions[ref_key(current)] not in (first, second)


def test_region_from_the_reference(aws_endpoint: str) -> None:
    client("eu-west-1").create_secret(Name="regional", SecretString="eu-value-0001")
    here, there = aref("regional"), aref("regional", region="eu-west-1")
    out = resolve_values([here, there], ROOT)
    assert out.values[ref_key(there)].reveal() == "eu-value-0001"
    assert out.errors[ref_key(here)].reason is ReadFailure.NOT_FOUND


def test_arn_reference(aws_endpoint: str) -> None:
    arn = client().create_secret(Name="by-arn", SecretString="arn-value-0001")["ARN"]
    out = resolve_values([aref(arn), aref(arn[:-7])], ROOT)
    assert out.errors == {}
    assert {v.reveal() for v in out.values.values()} == {"arn-value-0001"}


def test_unreachable_endpoint(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    boto3.setup_default_session()
    ref = aref("anything")
    out = resolve_values([ref], ROOT)
    assert out.errors[ref_key(ref)] == SecretFailure(
        ReadFailure.UNAVAILABLE,
        "AWS secret anything (region us-east-1): cannot reach AWS Secrets Manager",
    )
    assert str(port) not in out.errors[ref_key(ref)].detail  # nor where it tried


def test_no_region_anywhere(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    boto3.setup_default_session()
    ref = aref("anything")
    out = resolve_values([ref], ROOT)
    assert out.errors[ref_key(ref)] == SecretFailure(
        ReadFailure.OTHER,
        "AWS secret anything: no AWS region: set region in the reference, AWS_REGION or "
        "AWS_DEFAULT_REGION",
    )
    regional = aref("anything", region="us-east-1")
    failure = resolve_values([regional], ROOT).errors[ref_key(regional)]
    assert failure.reason is ReadFailure.NOT_FOUND


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        ("ResourceNotFoundException", 400, ReadFailure.NOT_FOUND),
        ("AccessDeniedException", 400, ReadFailure.ACCESS_DENIED),
        ("DecryptionFailure", 400, ReadFailure.NO_KEY),
        ("ThrottlingException", 400, ReadFailure.UNAVAILABLE),
        ("InternalServiceError", 500, ReadFailure.UNAVAILABLE),
        ("InvalidRequestException", 400, ReadFailure.OTHER),
        ("403", 403, ReadFailure.ACCESS_DENIED),  # an error body botocore could not parse
        ("503", 503, ReadFailure.UNAVAILABLE),
        ("Bad\x1b[2JCode", 400, ReadFailure.OTHER),  # not a token: not passed on
    ],
)
def test_a_client_error_is_typed_by_its_code(code: str, status: int, reason: ReadFailure) -> None:
    from botocore.exceptions import ClientError

    from reconciler.secrets.aws import _failure

    message = "User: arn:aws:iam::123456789012:user/CANARY-user is not authorized"
    err = ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "GetSecretValue",
    )
    got, got_code, words = _failure(err)
    assert got is reason
    assert "CANARY" not in words
    assert "\x1b" not in words
    assert got_code == (None if "\x1b" in code else code)
