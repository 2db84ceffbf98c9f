"""Encryption of personal data at rest (ID numbers, account numbers, uploaded documents).

Format, version 1, AES-256-GCM with a random 96-bit nonce:

* strings: ``"v1:" + urlsafe_base64_nopad(key_id[4] + nonce[12] + ciphertext_and_tag)``
* bytes:   ``b"\\x01" + key_id[4] + nonce[12] + ciphertext_and_tag`` (no base64 overhead for
  files)

The key id is derived from the key itself, so rotating is just "put the new key first": the
first key encrypts, every listed key decrypts. The version, key id and an optional caller
``context`` (e.g. ``"resident_id"`` or a blob's hash) are authenticated as associated data, so
a ciphertext copied into another field or file fails to decrypt instead of being misread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_SIZE",
    "DecryptionError",
    "FieldCipher",
    "blind_index",
    "derive_key",
    "encode_key",
    "generate_key",
    "key_from_setting",
    "load_or_create_key",
]

KEY_SIZE = 32
_NONCE_SIZE = 12
_KEY_ID_SIZE = 4
_TAG_SIZE = 16
_STR_PREFIX = "v1:"
_BYTES_PREFIX = b"\x01"
_HEADER_SIZE = _KEY_ID_SIZE + _NONCE_SIZE


class DecryptionError(ValueError):
    """A token or blob cannot be decrypted (malformed, unknown key, wrong context, tampered)."""


def _key_id(key: bytes) -> bytes:
    # 4 bytes of a domain-separated hash: identifies the key, reveals nothing usable about it.
    return hashlib.sha256(b"merchant-bot/key-id\x00" + key).digest()[:_KEY_ID_SIZE]


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise ValueError(f"an encryption key must be {KEY_SIZE} bytes")


class FieldCipher:
    """AES-256-GCM encryption of strings and bytes with key rotation."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("FieldCipher needs at least one key")
        self._ciphers: dict[bytes, AESGCM] = {}
        for key in keys:
            _check_key(key)
            kid = _key_id(key)
            if kid in self._ciphers:
                raise ValueError("the same key is listed twice")
            self._ciphers[kid] = AESGCM(key)
        self._primary_id = _key_id(keys[0])

    @property
    def primary_key_id(self) -> str:
        """Hex id of the key used for encryption (safe to log)."""
        return self._primary_id.hex()

    @staticmethod
    def _aad(kid: bytes, context: str) -> bytes:
        return b"v1\x00" + kid + b"\x00" + context.encode()

    def _seal(self, plaintext: bytes, context: str) -> bytes:
        kid = self._primary_id
        # A random 96-bit nonce is safe for far more than this bot will ever encrypt per key
        # (the NIST bound is 2**32 messages).
        nonce = os.urandom(_NONCE_SIZE)
        ciphertext = self._ciphers[kid].encrypt(nonce, plaintext, self._aad(kid, context))
        return kid + nonce + ciphertext

    def _open(self, payload: bytes, context: str) -> bytes:
        if len(payload) < _HEADER_SIZE + _TAG_SIZE:
            raise DecryptionError("ciphertext is truncated")
        kid, nonce = payload[:_KEY_ID_SIZE], payload[_KEY_ID_SIZE:_HEADER_SIZE]
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise DecryptionError(f"no key with id {kid.hex()} is configured")
        try:
            return cipher.decrypt(nonce, payload[_HEADER_SIZE:], self._aad(kid, context))
        except InvalidTag:
            raise DecryptionError(
                "authentication failed: wrong key or context, or the data was modified"
            ) from None

    def encrypt_bytes(self, data: bytes, *, context: str = "") -> bytes:
        """Encrypt bytes into a binary blob."""
        return _BYTES_PREFIX + self._seal(data, context)

    def decrypt_bytes(self, blob: bytes, *, context: str = "") -> bytes:
        """Decrypt a blob made by encrypt_bytes with the same context."""
        if not blob.startswith(_BYTES_PREFIX):
            raise DecryptionError("not a v1 encrypted blob")
        return self._open(blob[len(_BYTES_PREFIX) :], context)

    def encrypt_str(self, value: str, *, context: str = "") -> str:
        """Encrypt a string into a compact ASCII token ("v1:...")."""
        payload = self._seal(value.encode(), context)
        return _STR_PREFIX + base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")

    def decrypt_str(self, token: str, *, context: str = "") -> str:
        """Decrypt a token made by encrypt_str with the same context."""
        if not token.startswith(_STR_PREFIX):
            raise DecryptionError("not a v1 encrypted token")
        body = token[len(_STR_PREFIX) :]
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError("token is not valid base64") from None
        return self._open(payload, context).decode()

    def needs_reencryption(self, token: str | bytes) -> bool:
        """Tell whether a token/blob was made with an older key (re-encrypt it after rotation)."""
        try:
            if isinstance(token, str):
                body = token.removeprefix(_STR_PREFIX)[:8]  # 8 chars encode the 4-byte id
                kid = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))[:_KEY_ID_SIZE]
            else:
                kid = token[len(_BYTES_PREFIX) : len(_BYTES_PREFIX) + _KEY_ID_SIZE]
        except (binascii.Error, ValueError):
            raise DecryptionError("token is not valid base64") from None
        return kid != self._primary_id


# --------------------------------------------------------------------------- keys


def encode_key(key: bytes) -> str:
    """Encode a key as URL-safe base64 (the format of settings and key files)."""
    _check_key(key)
    return base64.urlsafe_b64encode(key).decode("ascii")


def generate_key() -> str:
    """Return a new random key, encoded for a setting or key file."""
    return encode_key(secrets.token_bytes(KEY_SIZE))


def key_from_setting(value: str) -> bytes:
    """Decode a key given as URL-safe base64 of 32 bytes (Fernet.generate_key() format too)."""
    text = value.strip()
    hint = (
        f"the encryption key must be URL-safe base64 of {KEY_SIZE} random bytes (44 characters);"
        ' generate one with: python -c "import base64, secrets; '
        'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
    )
    # The value is a secret: never echo it in the error.
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{hint} (the value is not base64)") from None
    if len(key) != KEY_SIZE:
        raise ValueError(f"{hint} (the value decodes to {len(key)} bytes)")
    return key


def _read_key_file(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) == KEY_SIZE:
        return data  # raw random bytes, e.g. from `head -c 32 /dev/urandom`
    try:
        return key_from_setting(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"invalid key file {path}: {exc}") from None


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """Return (key, created): read the key file, or create it (mode 0600) if missing."""
    path = Path(path)
    try:
        return _read_key_file(path), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_SIZE)
    # mkstemp creates the file with mode 0600. Publishing it with link() is atomic and fails if
    # another process created the key first, so two starting processes never use two keys and
    # nobody can read a half-written key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(encode_key(key) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_key_file(path), False
    finally:
        os.unlink(tmp)
    _fsync_dir(path.parent)
    return key, True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def derive_key(master: bytes, purpose: str) -> bytes:
    """Derive an independent 32-byte key for ``purpose`` from a master key (HKDF-SHA256)."""
    _check_key(master)
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_SIZE,
        salt=None,
        info=b"merchant-bot/" + purpose.encode(),
    )
    return hkdf.derive(master)


# --------------------------------------------------------------------------- blind index


def blind_index(value: str, key: bytes) -> str:
    """Return a keyed HMAC-SHA256 (hex) of a normalised identifier for lookups.

    Encrypted values are randomised, so equal ID numbers give different ciphertexts; storing
    this index next to the ciphertext lets the app find or duplicate-check an ID number
    without decrypting anything. A plain hash would not do: an 18-digit ID has only ~10**11
    plausible values (region x birth date x sequence) and could be brute-forced offline, while
    the HMAC needs the secret key. Use a dedicated key (e.g. ``derive_key(master,
    "blind-index")``) that is never rotated, or every stored index must be recomputed.
    """
    if len(key) < KEY_SIZE:
        raise ValueError(f"a blind index key must be at least {KEY_SIZE} bytes")
    # Same normalisation as the validators: full-width forms, spaces/dashes, lower-case x.
    text = unicodedata.normalize("NFKC", value)
    normalised = "".join(c for c in text if not c.isspace() and c != "-").upper()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
