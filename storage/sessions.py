"""What a person's conversation holds between two updates (UserData: locale, extras such as
the serial typed after /activate or the ticket in focus), for several instances.

One process keeps it in PTB's user_data; with several instances a person's next update may
reach another one, so bot/turns.py loads it before each update and stores it after any
change. Encrypted (context "session"): the extras may hold what a person typed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.crypto import DecryptionError, FieldCipher
from storage.db import Tx, utcnow

CONTEXT = "session"


def unseal(sealed: str, cipher: FieldCipher) -> dict[str, Any] | None:
    """A state as stored in the table (read here or with the inbox, storage/inbox.py); None if
    it is no longer readable."""
    try:
        return json.loads(cipher.decrypt_str(sealed, context=CONTEXT))
    except (DecryptionError, ValueError):
        return None


class SessionRepository:
    """Plain-SQL access to user_sessions; the caller owns the transaction."""

    def __init__(self, tx: Tx, cipher: FieldCipher) -> None:
        self.tx = tx
        self.cipher = cipher

    async def get(self, user_id: int) -> dict[str, Any] | None:
        """The stored state, or None (none yet, or no longer readable)."""
        row = await self.tx.fetchone(
            "SELECT state FROM user_sessions WHERE user_id = ?", (user_id,)
        )
        return None if row is None else unseal(row["state"], self.cipher)

    async def put(self, user_id: int, state: dict[str, Any]) -> None:
        """Store the state (replacing the one before)."""
        sealed = self.cipher.encrypt_str(json.dumps(state, ensure_ascii=False), context=CONTEXT)
        await self.tx.execute(
            "INSERT INTO user_sessions (user_id, state, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at",
            (user_id, sealed, utcnow().isoformat()),
        )

    async def delete(self, user_id: int) -> int:
        """Forget the person's state (/deletemydata)."""
        return await self.tx.execute("DELETE FROM user_sessions WHERE user_id = ?", (user_id,))

    async def reencrypt(self) -> int:
        """Encrypt every readable state again under the current key (rotate-key); one that no
        key opens any more is deleted (it would be ignored anyway). Return how many."""
        rows = await self.tx.fetchall("SELECT user_id, state FROM user_sessions")
        changed = 0
        for row in rows:
            try:
                text = self.cipher.decrypt_str(row["state"], context=CONTEXT)
            except DecryptionError:
                await self.tx.execute(
                    "DELETE FROM user_sessions WHERE user_id = ?", (row["user_id"],)
                )
                continue
            await self.tx.execute(
                "UPDATE user_sessions SET state = ? WHERE user_id = ?",
                (self.cipher.encrypt_str(text, context=CONTEXT), row["user_id"]),
            )
            changed += 1
        return changed

    async def prune(self, before: datetime) -> int:
        """Forget states untouched since `before` (a conversation long over)."""
        return await self.tx.execute(
            "DELETE FROM user_sessions WHERE updated_at < ?", (before.isoformat(),)
        )
