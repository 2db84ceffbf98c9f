"""Where the encryption key for personal data comes from."""

from __future__ import annotations

import logging

from bot.crypto import FieldCipher, key_from_setting, load_or_create_key
from bot.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "encryption.key"


def cipher_for(settings: Settings) -> FieldCipher:
    """ENCRYPTION_KEY if set, else the key file in DATA_DIR (created, mode 0600, if missing)."""
    if settings.encryption_key is not None:
        return FieldCipher([key_from_setting(settings.encryption_key.get_secret_value())])
    path = settings.data_dir / KEY_FILE
    key, created = load_or_create_key(path)
    if created:
        log.warning(
            "generated a new encryption key at %s (mode 0600); back it up, or set "
            "ENCRYPTION_KEY: without it stored ID numbers, accounts and documents are unreadable",
            path,
        )
    return FieldCipher([key])
