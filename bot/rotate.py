"""`merchant-bot rotate-key`: a new encryption key, and everything re-encrypted under it.

With the key file (no ENCRYPTION_KEY): a new key is generated and written first in
DATA_DIR/encryption.key, every encrypted answer, application code and document, undelivered
outbox message, received update and conversation state is encrypted again under it, and then
the old key is removed from the file.

With ENCRYPTION_KEY: the operator puts the new key first ("new,old"), runs this command, and
then removes the old key from the setting.

Stop the bot while rotating: a running bot still holds the old key ring.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.crypto import KEY_SIZE, encode_key
from bot.documents import DocumentStore
from bot.fulfilment.codes import normalize_code
from bot.keys import KEY_FILE, Keys, keys_for, keys_from_masters, read_key_file
from bot.settings import Settings
from storage import Storage


def _write_key_file(path: Path, masters: list[bytes]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write("".join(encode_key(m) + "\n" for m in masters))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Rotated:
    """How many things were encrypted again."""

    answers: int
    codes: int
    documents: int
    messages: int  # undelivered outbox messages
    updates: int  # inbox updates not yet handled or acknowledged
    sessions: int = 0  # people's conversation states (several instances, PostgreSQL)

    def __str__(self) -> str:
        return (
            f"re-encrypted {self.answers} answers, {self.codes} codes and {self.documents}"
            f" documents (and {self.messages} undelivered messages, {self.updates} received"
            f" updates, {self.sessions} conversation states)"
        )


async def reencrypt(settings: Settings, keys: Keys) -> Rotated:
    """Encrypt everything again under the first key."""
    storage = Storage(settings.database, keys)
    documents = DocumentStore(settings.data_dir / "documents", keys.cipher)
    await storage.open()
    try:
        async with storage.transaction() as repos:
            answers = await repos.applications.reencrypt_answers()
            # Duplicate checks look identifiers up by blind index under the current key.
            await repos.checks.reindex()
            codes = await repos.fulfilment.all_codes()
            for code_id, display in codes:
                await repos.fulfilment.rewrite_code(code_id, normalize_code(display), display)
            messages = await repos.outbox.reencrypt_pending()
            updates = await repos.inbox.reencrypt()
            sessions = await repos.sessions.reencrypt()
    finally:
        await storage.close()
    blobs = await asyncio.to_thread(documents.all_hashes)
    for sha in blobs:
        await asyncio.to_thread(documents.reencrypt, sha)
    return Rotated(answers, len(codes), len(blobs), messages, updates, sessions)


def run_rotate(settings: Settings) -> int:
    """The CLI command."""
    if settings.encryption_key is not None:
        keys = keys_for(settings)
        if not keys.old_lookup_keys:
            print(
                "merchant-bot: ENCRYPTION_KEY holds one key. Put a new key first and keep the old"
                " one after a comma (ENCRYPTION_KEY=<new>,<old>), run rotate-key, then remove"
                " the old key from the setting.",
            )
            return 2
        rotated = asyncio.run(reencrypt(settings, keys))
        print(
            f"{rotated} under the first key of ENCRYPTION_KEY; you can now remove the other"
            " key(s) from the setting"
        )
        return 0
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        keys_for(settings)  # nothing encrypted yet: create the first key, then rotate anyway
    old = [path.read_bytes()] if path.stat().st_size == KEY_SIZE else read_key_file(path)
    new = secrets.token_bytes(KEY_SIZE)
    _write_key_file(path, [new, *old])  # readable by both from here on
    rotated = asyncio.run(reencrypt(settings, keys_from_masters([new, *old])))
    _write_key_file(path, [new])
    print(f"new key written to {path}; {rotated}; the old key was removed")
    return 0
