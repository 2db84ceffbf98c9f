"""Where the encryption keys for personal data come from.

A key ring: the first key encrypts, every key decrypts. ENCRYPTION_KEY may list several keys
separated by commas ("new,old"); without it the key file DATA_DIR/encryption.key is used (one
key per line, created with mode 0600 on first start). `merchant-bot rotate-key` adds a new key
and re-encrypts everything under it (see bot/rotate.py and SECURITY.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.crypto import KEY_SIZE, FieldCipher, derive_key, key_from_setting, load_or_create_key
from bot.private_files import private_file
from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "encryption.key"


@dataclass(frozen=True)
class Keys:
    """The field cipher, and the keys for keyed lookups of secrets (first = current)."""

    cipher: FieldCipher
    lookup_key: bytes
    old_lookup_keys: tuple[bytes, ...] = ()

    @property
    def lookup_keys(self) -> tuple[bytes, ...]:
        """Every lookup key, current first: a lookup finds values hashed under older keys."""
        return (self.lookup_key, *self.old_lookup_keys)


def keys_from_masters(masters: Sequence[bytes]) -> Keys:
    """Derive the cipher and the lookup keys from master keys (the first is current)."""
    if not masters:
        raise ValueError("no encryption key")
    lookups = [derive_key(m, "blind-index") for m in masters]
    return Keys(FieldCipher(list(masters)), lookups[0], tuple(lookups[1:]))


def keys_from_master(master: bytes) -> Keys:
    """Derive both keys from one master key."""
    return keys_from_masters([master])


def masters_from_setting(value: str) -> list[bytes]:
    """ENCRYPTION_KEY: one key, or several separated by commas (the first encrypts)."""
    return [key_from_setting(part) for part in value.split(",") if part.strip()]


def read_key_file(path) -> list[bytes]:
    """The keys in a key file, one per line, current first."""
    return masters_from_setting(",".join(path.read_text("ascii").split()))


def keys_for(settings: Settings) -> Keys:
    """ENCRYPTION_KEY if set, else the key file in DATA_DIR (created, mode 0600, if missing)."""
    if settings.encryption_key is not None:
        return keys_from_masters(masters_from_setting(settings.encryption_key.get_secret_value()))
    path = settings.data_dir / KEY_FILE
    if path.exists():
        private_file(path)  # one copied in by hand may be readable by others
    if path.exists() and path.stat().st_size != KEY_SIZE:  # KEY_SIZE bytes = one raw key
        return keys_from_masters(read_key_file(path))
    master, created = load_or_create_key(path)
    if created:
        log.warning(
            "generated a new encryption key at %s (mode 0600); back it up, or set "
            "ENCRYPTION_KEY: without it stored ID numbers, accounts and documents are unreadable",
            path,
        )
    return keys_from_master(master)
