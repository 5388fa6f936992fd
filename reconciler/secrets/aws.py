"""Secrets from AWS Secrets Manager. boto3 is imported inside the functions only.

Values: references are grouped by (region, version stage) and each distinct secret is fetched
once. The AWSCURRENT stage is read with BatchGetSecretValue, at most 20 secret ids per call
(the API's limit for SecretIdList); BatchGetSecretValue cannot select a version stage, so
other stages (AWSPREVIOUS, custom labels) are read with one GetSecretValue per secret.

Versions: DescribeSecret (needs no decrypt permission) gives the VersionId currently holding
the requested stage.

Region: the reference's ``region``, else AWS_REGION, else AWS_DEFAULT_REGION, else whatever
the AWS configuration (profile) says. botocore itself honours AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_SECRETS_MANAGER, and reads credentials the usual way.

Failures are typed (reconciler.plan.alerts.SecretFailure): a reason from botocore's error
code, the code, and words naming the secret id. AWS's own message is never passed on (it can
name the account, the IAM user or role, and the secret's full ARN; a plan's secrets row goes
into a pull request comment); it is logged at DEBUG only, redacted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from reconciler.extras import require
from reconciler.logs import redact
from reconciler.plan.alerts import ReadFailure, SecretFailure
from reconciler.secrets.values import SecretValue

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from reconciler.secrets.resolve import Resolved
    from reconciler.state.records import SecretRefDict

log = logging.getLogger(__name__)

BATCH_SIZE = 20  # BatchGetSecretValue accepts at most 20 ids in SecretIdList
DEFAULT_STAGE = "AWSCURRENT"
MAX_WORKERS = 8
_CLIENT_LOCK = threading.Lock()  # boto3's default session is not safe to share while creating


class _NoResponseBodies(logging.Filter):
    """botocore logs every response body at DEBUG, before we could register the secret values
    in it for redaction; those records are dropped (headers and errors still log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Response body")


_BODY_FILTER = _NoResponseBodies()


def _quiet_response_bodies() -> None:
    parser_log = logging.getLogger("botocore.parsers")
    if _BODY_FILTER not in parser_log.filters:
        parser_log.addFilter(_BODY_FILTER)


# (region or None, version stage, secret id)
_Target = tuple[str | None, str, str]


def _region(ref: Mapping[str, Any]) -> str | None:
    region = (
        ref.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    return str(region) if region else None


def _target(ref: SecretRefDict) -> _Target:
    aws = ref["aws_secretsmanager"]
    return _region(aws), str(aws.get("version_stage") or DEFAULT_STAGE), str(aws["secret_id"])


def _client(region: str | None) -> SecretsManagerClient:
    """A Secrets Manager client from boto3's default session (so its configuration, profiles
    and botocore event handlers apply)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=15,
        retries={"max_attempts": 3, "mode": "standard"},
        user_agent_extra="llm-registry-reconciler",
    )
    with _CLIENT_LOCK:
        _quiet_response_bodies()
        return boto3.client("secretsmanager", region_name=region, config=config)


# botocore's error codes (Error.Code, or a batch entry's ErrorCode) by reason; any other
# code is OTHER. Codes are the API's machine names, not its messages.
_REASONS: dict[str, ReadFailure] = {
    **dict.fromkeys(("ResourceNotFoundException",), ReadFailure.NOT_FOUND),
    **dict.fromkeys(
        (
            "AccessDeniedException",
            "AccessDenied",
            "UnauthorizedOperation",
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
            "ExpiredTokenException",
            "ExpiredToken",
            "KMSAccessDeniedException",
        ),
        ReadFailure.ACCESS_DENIED,
    ),
    # the KMS key's policy does not let these credentials decrypt
    "DecryptionFailure": ReadFailure.NO_KEY,
    **dict.fromkeys(
        (
            "ThrottlingException",
            "Throttling",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "InternalServiceError",
            "InternalFailure",
            "InternalServiceErrorException",
            "ServiceUnavailable",
            "ServiceUnavailableException",
            "RequestTimeout",
            "RequestTimeoutException",
        ),
        ReadFailure.UNAVAILABLE,
    ),
}
_BY_STATUS = {
    403: ReadFailure.ACCESS_DENIED,
    404: ReadFailure.NOT_FOUND,
    429: ReadFailure.UNAVAILABLE,
}
_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def _failure_of_code(code: object, status: object = None) -> _Why:
    """A failure from an AWS error code, else the HTTP status (an error body botocore could
    not parse has the status as its code); a code that is not a plain token is not passed on."""
    text = code if isinstance(code, str) and _CODE.fullmatch(code) else None
    reason = _REASONS.get(text or "", ReadFailure.OTHER)
    if reason is ReadFailure.OTHER and isinstance(status, int):
        reason = _BY_STATUS.get(status, ReadFailure.UNAVAILABLE if status >= 500 else reason)
    words = "AWS error" if text is None else f"HTTP {text}" if text.isdigit() else text
    return reason, text, words


def _failure(err: Exception) -> _Why:
    """Why a call failed, from the exception's type and AWS error code, never its message."""
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    # AWS's message names accounts, users and ARNs: only a log the user asked for shows it
    log.debug("AWS Secrets Manager call failed: %s", redact(f"{type(err).__name__}: {err}"))
    if isinstance(err, ClientError):
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return _failure_of_code(err.response.get("Error", {}).get("Code"), status)
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        words = "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/...)"
        return ReadFailure.ACCESS_DENIED, None, words
    if isinstance(err, NoRegionError):
        words = "no AWS region: set region in the reference, AWS_REGION or AWS_DEFAULT_REGION"
        return ReadFailure.OTHER, None, words
    if isinstance(err, ConnectionError | HTTPClientError):
        # the endpoint's address is not repeated: AWS_ENDPOINT_URL may name an internal host
        return ReadFailure.UNAVAILABLE, None, "cannot reach AWS Secrets Manager"
    return ReadFailure.OTHER, None, type(err).__name__


def _group(refs: Mapping[str, SecretRefDict]) -> dict[_Target, list[str]]:
    by_target: dict[_Target, list[str]] = {}
    for key, ref in refs.items():
        by_target.setdefault(_target(ref), []).append(key)
    return by_target


def _matches(secret_id: str, entry: Mapping[str, Any]) -> bool:
    name, arn = entry.get("Name", ""), entry.get("ARN", "")
    # A partial ARN (without the 6-character suffix AWS appends) also names a secret.
    return secret_id in (name, arn) or (secret_id.startswith("arn:") and arn.startswith(secret_id))


# Why a call failed: (reason, AWS error code or None, words naming no value and no account).
_Why = tuple[ReadFailure, str | None, str]
# What one fetch returns per secret id: (the secret's value entry, or why there is none).
_Fetched = dict[str, tuple[Mapping[str, Any] | None, _Why | None]]
_NOT_RETURNED: _Why = (ReadFailure.OTHER, None, "not returned by AWS")


def _batch_get(client: SecretsManagerClient, ids: list[str]) -> _Fetched:
    """One BatchGetSecretValue call (plus its NextToken pages) for at most 20 ids."""
    assert len(ids) <= BATCH_SIZE
    result: _Fetched = {}
    entries: list[Mapping[str, Any]] = []
    token: str | None = None
    try:
        while True:
            kwargs: dict[str, Any] = {"SecretIdList": ids}
            if token:
                kwargs["NextToken"] = token
            page = client.batch_get_secret_value(**kwargs)
            entries.extend(page.get("SecretValues", []))
            for error in page.get("Errors", []):
                secret_id = error.get("SecretId", "")
                log.debug(
                    "AWS Secrets Manager: %s", redact(f"{secret_id}: {error.get('Message', '')}")
                )
                result[secret_id] = (None, _failure_of_code(error.get("ErrorCode")))
            token = page.get("NextToken")
            if not token:
                break
    except Exception as err:
        why = _failure(err)
        return {secret_id: (None, why) for secret_id in ids}
    for secret_id in ids:
        if secret_id in result:
            continue
        found = next((entry for entry in entries if _matches(secret_id, entry)), None)
        result[secret_id] = (found, None) if found else (None, _NOT_RETURNED)
    return result


def _get_one(client: SecretsManagerClient, secret_id: str, stage: str) -> _Fetched:
    try:
        entry = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
    except Exception as err:
        return {secret_id: (None, _failure(err))}
    return {secret_id: (dict(entry), None)}


def _extract(entry: Mapping[str, Any], aws: Mapping[str, Any]) -> SecretValue | SecretFailure:
    """The value (json_key applied), or why there is none (without any value in it)."""
    secret_id = aws["secret_id"]
    text = entry.get("SecretString")
    invalid = ReadFailure.INVALID
    if text is None:
        return SecretFailure(
            invalid,
            f"AWS secret {secret_id} holds binary data (SecretBinary); store it as a string",
        )
    json_key = aws.get("json_key")
    if not json_key:
        if text == "":
            return SecretFailure(invalid, f"AWS secret {secret_id} is empty")
        return SecretValue(text)
    SecretValue(text)  # registered for redaction before anything could print it
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return SecretFailure(
            invalid,
            f"AWS secret {secret_id} is not a JSON object, so json_key '{json_key}' cannot be "
            "read from it",
        )
    if json_key not in data:
        return SecretFailure(
            ReadFailure.NOT_FOUND, f"json_key '{json_key}' not found in AWS secret {secret_id}"
        )
    value = data[json_key]
    if not isinstance(value, str):
        return SecretFailure(
            invalid, f"json_key '{json_key}' of AWS secret {secret_id} is not a string"
        )
    if value == "":
        return SecretFailure(invalid, f"json_key '{json_key}' of AWS secret {secret_id} is empty")
    return SecretValue(value)


def _failed(secret_id: str, where: str, why: _Why) -> SecretFailure:
    reason, code, words = why
    return SecretFailure(reason, f"AWS secret {secret_id}{where}: {words}", code)


def _run_parallel(tasks: list[Callable[[], _Fetched]]) -> list[_Fetched]:
    if len(tasks) <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(
        max_workers=min(MAX_WORKERS, len(tasks)), thread_name_prefix="aws"
    ) as pool:
        return list(pool.map(lambda task: task(), tasks))


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _clients(regions: Iterable[str | None]) -> tuple[dict[str | None, Any], dict[str | None, _Why]]:
    clients: dict[str | None, Any] = {}
    errors: dict[str | None, _Why] = {}
    for region in regions:
        if region in clients or region in errors:
            continue
        try:
            clients[region] = _client(region)
        except Exception as err:
            errors[region] = _failure(err)
    return clients, errors


def resolve_aws(refs: dict[str, SecretRefDict], out: Resolved) -> None:
    """Fetch every referenced secret once: 20 per BatchGetSecretValue for AWSCURRENT."""
    require("aws", "a secret in AWS Secrets Manager")
    by_target = _group(refs)
    clients, client_errors = _clients(region for region, _, _ in by_target)
    tasks: list[Callable[[], _Fetched]] = []
    keys_of: list[list[_Target]] = []
    groups: dict[tuple[str | None, str], list[str]] = {}
    for region, stage, secret_id in by_target:
        if region not in client_errors:
            groups.setdefault((region, stage), []).append(secret_id)
    for (region, stage), ids in groups.items():
        client = clients[region]
        if stage == DEFAULT_STAGE:
            for chunk in _chunks(sorted(ids), BATCH_SIZE):
                tasks.append(partial(_batch_get, client, chunk))
                keys_of.append([(region, stage, i) for i in chunk])
        else:
            for secret_id in sorted(ids):
                tasks.append(partial(_get_one, client, secret_id, stage))
                keys_of.append([(region, stage, secret_id)])
    log.debug("reading %d AWS secret(s) in %d call(s)", len(by_target), len(tasks))
    fetched: dict[_Target, tuple[Mapping[str, Any] | None, _Why | None]] = {}
    for targets, result in zip(keys_of, _run_parallel(tasks), strict=True):
        for target in targets:
            fetched[target] = result.get(target[2], (None, _NOT_RETURNED))
    for target, ref_keys in by_target.items():
        region, stage, secret_id = target
        where = f" (region {region})" if region else ""
        for ref_key in ref_keys:
            if region in client_errors:
                out.errors[ref_key] = _failed(secret_id, "", client_errors[region])
                continue
            entry, error = fetched[target]
            if entry is None:
                out.errors[ref_key] = _failed(secret_id, where, error or _NOT_RETURNED)
                continue
            value = _extract(entry, refs[ref_key]["aws_secretsmanager"])
            if isinstance(value, SecretFailure):
                out.errors[ref_key] = value
            else:
                out.values[ref_key] = value


def _describe(client: SecretsManagerClient, secret_id: str) -> _Fetched:
    try:
        info = client.describe_secret(SecretId=secret_id)
    except Exception as err:
        return {secret_id: (None, _failure(err))}
    return {secret_id: ({"stages": info.get("VersionIdsToStages", {})}, None)}


def aws_versions(refs: dict[str, SecretRefDict], out: Resolved) -> None:
    """The VersionId holding each reference's stage, from DescribeSecret (no decryption)."""
    require("aws", "a secret in AWS Secrets Manager")
    by_target = _group(refs)
    clients, client_errors = _clients(region for region, _, _ in by_target)
    order = list(
        dict.fromkeys(
            (region, secret_id) for region, _, secret_id in by_target if region not in client_errors
        )
    )
    tasks: list[Callable[[], _Fetched]] = [
        partial(_describe, clients[region], secret_id) for region, secret_id in order
    ]
    described = dict(zip(order, _run_parallel(tasks), strict=True))
    for (region, stage, secret_id), ref_keys in by_target.items():
        for ref_key in ref_keys:
            if region in client_errors:
                out.errors[ref_key] = _failed(secret_id, "", client_errors[region])
                continue
            entry, error = described[(region, secret_id)][secret_id]
            if entry is None:
                out.errors[ref_key] = _failed(secret_id, "", error or _NOT_RETURNED)
                continue
            version = next(
                (vid for vid, stages in entry["stages"].items() if stage in stages), None
            )
            if version is None:
                out.errors[ref_key] = SecretFailure(
                    ReadFailure.NOT_FOUND, f"AWS secret {secret_id} has no version labelled {stage}"
                )
            else:
                out.versions[ref_key] = str(version)
