"""Where the encryption key for personal data comes from."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.crypto import FieldCipher, derive_key, key_from_setting, load_or_create_key
from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "encryption.key"


@dataclass(frozen=True)
class Keys:
    """The field cipher and the (never rotated) key for keyed lookups of secrets."""

    cipher: FieldCipher
    lookup_key: bytes


def keys_from_master(master: bytes) -> Keys:
    """Derive both keys from one master key."""
    return Keys(FieldCipher([master]), derive_key(master, "blind-index"))


def keys_for(settings: Settings) -> Keys:
    """ENCRYPTION_KEY if set, else the key file in DATA_DIR (created, mode 0600, if missing)."""
    if settings.encryption_key is not None:
        return keys_from_master(key_from_setting(settings.encryption_key.get_secret_value()))
    path = settings.data_dir / KEY_FILE
    master, created = load_or_create_key(path)
    if created:
        log.warning(
            "generated a new encryption key at %s (mode 0600); back it up, or set "
            "ENCRYPTION_KEY: without it stored ID numbers, accounts and documents are unreadable",
            path,
        )
    return keys_from_master(master)
