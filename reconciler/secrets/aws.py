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

Messages name the secret id and the AWS error code, never a value.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from reconciler.extras import require
from reconciler.logs import redact
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


def _error_text(err: Exception) -> str:
    """AWS error code and message (these never hold a secret value; redacted anyway)."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
    )

    if isinstance(err, ClientError):
        info = err.response.get("Error", {})
        code = info.get("Code", "error")
        message = info.get("Message", "")
        return redact(f"{code}: {message}" if message else code)
    if isinstance(err, NoCredentialsError):
        return "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/...)"
    if isinstance(err, NoRegionError):
        return "no AWS region: set region in the reference, AWS_REGION or AWS_DEFAULT_REGION"
    if isinstance(err, EndpointConnectionError):
        return redact(f"cannot reach AWS Secrets Manager: {err}")
    return redact(f"{type(err).__name__}: {err}")


def _group(refs: Mapping[str, SecretRefDict]) -> dict[_Target, list[str]]:
    by_target: dict[_Target, list[str]] = {}
    for key, ref in refs.items():
        by_target.setdefault(_target(ref), []).append(key)
    return by_target


def _matches(secret_id: str, entry: Mapping[str, Any]) -> bool:
    name, arn = entry.get("Name", ""), entry.get("ARN", "")
    # A partial ARN (without the 6-character suffix AWS appends) also names a secret.
    return secret_id in (name, arn) or (secret_id.startswith("arn:") and arn.startswith(secret_id))


# What one fetch returns per secret id: (the secret's value entry, or an error message).
_Fetched = dict[str, tuple[Mapping[str, Any] | None, str | None]]


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
                code = error.get("ErrorCode", "error")
                result[secret_id] = (None, redact(f"{code}: {error.get('Message', '')}"))
            token = page.get("NextToken")
            if not token:
                break
    except Exception as err:
        text = _error_text(err)
        return {secret_id: (None, text) for secret_id in ids}
    for secret_id in ids:
        if secret_id in result:
            continue
        found = next((entry for entry in entries if _matches(secret_id, entry)), None)
        result[secret_id] = (found, None) if found else (None, "not returned by AWS")
    return result


def _get_one(client: SecretsManagerClient, secret_id: str, stage: str) -> _Fetched:
    try:
        entry = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
    except Exception as err:
        return {secret_id: (None, _error_text(err))}
    return {secret_id: (dict(entry), None)}


def _extract(entry: Mapping[str, Any], aws: Mapping[str, Any]) -> tuple[SecretValue | None, str]:
    """The value (json_key applied), or None and a message without any value in it."""
    secret_id = aws["secret_id"]
    text = entry.get("SecretString")
    if text is None:
        return None, (
            f"AWS secret {secret_id} holds binary data (SecretBinary); store it as a string"
        )
    json_key = aws.get("json_key")
    if not json_key:
        if text == "":
            return None, f"AWS secret {secret_id} is empty"
        return SecretValue(text), ""
    SecretValue(text)  # registered for redaction before anything could print it
    try:
        data = json.loads(text)
    except ValueError:
        return None, (
            f"AWS secret {secret_id} is not a JSON object, so json_key '{json_key}' cannot be "
            "read from it"
        )
    if not isinstance(data, dict):
        return None, (
            f"AWS secret {secret_id} is not a JSON object, so json_key '{json_key}' cannot be "
            "read from it"
        )
    if json_key not in data:
        return None, f"json_key '{json_key}' not found in AWS secret {secret_id}"
    value = data[json_key]
    if not isinstance(value, str):
        return None, f"json_key '{json_key}' of AWS secret {secret_id} is not a string"
    if value == "":
        return None, f"json_key '{json_key}' of AWS secret {secret_id} is empty"
    return SecretValue(value), ""


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


def _clients(regions: Iterable[str | None]) -> tuple[dict[str | None, Any], dict[str | None, str]]:
    clients: dict[str | None, Any] = {}
    errors: dict[str | None, str] = {}
    for region in regions:
        if region in clients or region in errors:
            continue
        try:
            clients[region] = _client(region)
        except Exception as err:
            errors[region] = _error_text(err)
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
    fetched: dict[_Target, tuple[Mapping[str, Any] | None, str | None]] = {}
    for targets, result in zip(keys_of, _run_parallel(tasks), strict=True):
        for target in targets:
            fetched[target] = result.get(target[2], (None, "not returned by AWS"))
    for target, ref_keys in by_target.items():
        region, stage, secret_id = target
        where = f" (region {region})" if region else ""
        for ref_key in ref_keys:
            if region in client_errors:
                out.errors[ref_key] = f"AWS secret {secret_id}: {client_errors[region]}"
                continue
            entry, error = fetched[target]
            if entry is None:
                out.errors[ref_key] = f"AWS secret {secret_id}{where}: {error}"
                continue
            value, message = _extract(entry, refs[ref_key]["aws_secretsmanager"])
            if value is None:
                out.errors[ref_key] = message
            else:
                out.values[ref_key] = value


def _describe(client: SecretsManagerClient, secret_id: str) -> _Fetched:
    try:
        info = client.describe_secret(SecretId=secret_id)
    except Exception as err:
        return {secret_id: (None, _error_text(err))}
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
                out.errors[ref_key] = f"AWS secret {secret_id}: {client_errors[region]}"
                continue
            entry, error = described[(region, secret_id)][secret_id]
            if entry is None:
                out.errors[ref_key] = f"AWS secret {secret_id}: {error}"
                continue
            version = next(
                (vid for vid, stages in entry["stages"].items() if stage in stages), None
            )
            if version is None:
                out.errors[ref_key] = f"AWS secret {secret_id} has no version labelled {stage}"
            else:
                out.versions[ref_key] = str(version)
