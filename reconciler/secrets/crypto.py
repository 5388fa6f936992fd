"""Encryption at rest: AES-256-GCM under REGISTRY_ENCRYPTION_KEY, tagged with a key id.

The configured key is a URL-safe base64 encoding of 32 random bytes. Separate subkeys for
encryption and fingerprints are derived from it with HKDF, and the key id is a hash of the key,
so none of the stored values reveals the key itself. Ciphertexts are bound to their credential
and field (associated data), so a row's ciphertext cannot be swapped into another row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.errors import SecretError
from reconciler.secrets.values import SecretValue

KEY_ENV = "REGISTRY_ENCRYPTION_KEY"
OLD_KEYS_ENV = "REGISTRY_ENCRYPTION_KEYS_OLD"
_FORMAT = "v1"


# cryptography is imported where a key is used: plan without a key, validate and lint never
# load it, and plan with one needs only the key derivation (fingerprints are HMAC).


def _derive(master: bytes, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@dataclass(frozen=True, repr=False)
class RegistryKey:
    key_id: str
    _aead: bytes = field(repr=False)
    _mac: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"RegistryKey(key_id={self.key_id!r})"

    @classmethod
    def from_text(cls, text: str, *, name: str = KEY_ENV) -> RegistryKey:
        try:
            raw = base64.urlsafe_b64decode(text.strip().encode("ascii") + b"==")
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise SecretError(
                f"{name} is not a valid key (expected URL-safe base64 of 32 bytes)",
                hint="generate one with 'reconciler keygen'",
            )
        key_id = hashlib.sha256(b"reconciler-key-id\0" + raw).hexdigest()[:16]
        return cls(key_id, _derive(raw, b"reconciler aes-256-gcm"), _derive(raw, b"fingerprint"))

    def encrypt(self, value: SecretValue, context: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._aead).encrypt(nonce, value.reveal().encode(), context.encode())
        return f"{_FORMAT}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, ciphertext: str, context: str) -> SecretValue:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        version, _, body = ciphertext.partition(":")
        try:
            if version != _FORMAT:
                raise ValueError("unknown ciphertext format")
            raw = base64.b64decode(body)
            plain = AESGCM(self._aead).decrypt(raw[:12], raw[12:], context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretError(
                f"stored secret for {context.replace(chr(0), '.')} cannot be decrypted with "
                f"key {self.key_id}",
                hint="the registry was written with another REGISTRY_ENCRYPTION_KEY",
            ) from None
        return SecretValue(plain.decode())

    def fingerprint(self, value: SecretValue) -> str:
        """Keyed HMAC: says whether a value changed; useless for guessing it without the key."""
        return hmac.new(self._mac, value.reveal().encode(), hashlib.sha256).hexdigest()


def generate_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Keyring:
    """The current key (encrypts) and older keys (still decrypt, during rotation)."""

    current: RegistryKey
    old: tuple[RegistryKey, ...] = ()

    def for_id(self, key_id: str) -> RegistryKey:
        for key in (self.current, *self.old):
            if key.key_id == key_id:
                return key
        raise SecretError(
            f"no configured key has id {key_id}",
            hint=f"set {KEY_ENV} (or {OLD_KEYS_ENV} during a rotation) to the key that "
            "encrypted the registry",
        )

    def decrypt(self, key_id: str, ciphertext: str, context: str) -> SecretValue:
        return self.for_id(key_id).decrypt(ciphertext, context)


def keyring_from_env(
    env: Mapping[str, str] | None = None, *, required: bool = True
) -> Keyring | None:
    env = os.environ if env is None else env
    text = env.get(KEY_ENV, "")
    if not text.strip():
        if required:
            raise SecretError(
                f"{KEY_ENV} is not set; secrets are stored encrypted and need a key",
                hint="generate one with 'reconciler keygen' and keep it in your secret store",
            )
        return None
    old = tuple(
        RegistryKey.from_text(part, name=OLD_KEYS_ENV)
        for part in env.get(OLD_KEYS_ENV, "").split(",")
        if part.strip()
    )
    return Keyring(RegistryKey.from_text(text), old)


def secret_context(credential: str, field_name: str) -> str:
    return f"{credential}\0{field_name}"


_KNOWN_PREFIX = re.compile(r"^(?:sk-(?:ant-|or-|proj-)?|hf_|fw_|AKIA|ABSK|gsk_|xai-|AIza)")


def preview(value: SecretValue) -> str:
    """'sk-...f3a9': a well-known non-secret prefix and the last four characters; nothing for
    values shorter than 12 characters."""
    text = value.reveal()
    if len(text) < 12:
        return ""
    match = _KNOWN_PREFIX.match(text)
    return f"{match.group(0) if match else ''}...{text[-4:]}"
