"""The inbox of received updates (see bot/polling.py).

An update is personal data as received (an ID number typed into the form, a code typed in
/activate), so the row holds it encrypted (context "inbox"), and only for as long as replay
needs it: from receipt until it is both handled and acknowledged to Telegram.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.crypto import DecryptionError, FieldCipher
from storage.db import Tx, among, utcnow

log = logging.getLogger(__name__)

CONTEXT = "inbox"  # authenticated with each payload: an inbox ciphertext opens nowhere else


class InboxRepository:
    """Plain-SQL access to the inbox; the caller owns the transaction."""

    def __init__(self, tx: Tx, cipher: FieldCipher) -> None:
        self.tx = tx
        self.cipher = cipher

    def _open(self, stored: str) -> str | None:
        """The payload's JSON text; None if it cannot be read (a key removed since)."""
        if not stored.startswith("v1:"):
            return stored  # written in plain text before 0010_at_rest; gone once handled
        try:
            return self.cipher.decrypt_str(stored, context=CONTEXT)
        except DecryptionError:
            return None

    async def receive(self, updates: Sequence[tuple[int, dict[str, Any]]]) -> list[int]:
        """Store received updates; return the ids that are new (not a redelivery).

        An id still stored with the same content is a redelivery (received, maybe handled, but
        not yet acknowledged). With other content it is a new update under a reused id (a
        fresh sandbox server, or Telegram restarting its numbering after a quiet week): it
        replaces the old row. The stored copy is decrypted to compare: a hash of the content
        would let anyone holding the database test guesses of a short typed code.
        """
        now = utcnow().isoformat()
        texts = {uid: json.dumps(p, ensure_ascii=False, sort_keys=True) for uid, p in updates}
        known, params = among(self.tx, "update_id", texts)
        rows = await self.tx.fetchall(f"SELECT update_id, payload FROM inbox WHERE {known}", params)
        stored = {r["update_id"]: self._open(r["payload"]) for r in rows}
        fresh = [uid for uid, text in texts.items() if stored.get(uid) != text]
        await self.tx.executemany(
            "INSERT INTO inbox (update_id, payload, received_at, done) VALUES (?, ?, ?, 0)"
            " ON CONFLICT (update_id) DO UPDATE SET payload = excluded.payload,"
            " received_at = excluded.received_at, done = 0",
            [(uid, self.cipher.encrypt_str(texts[uid], context=CONTEXT), now) for uid in fresh],
        )
        return fresh

    async def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates received but not handled (a crash came in between), oldest first."""
        rows = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox WHERE done = 0 ORDER BY update_id"
        )
        found = []
        for row in rows:
            text = self._open(row["payload"])
            if text is None:
                log.error("update %s in the inbox cannot be decrypted", row["update_id"])
            else:
                found.append((row["update_id"], json.loads(text)))
        return found

    async def handled(self) -> list[int]:
        """Ids handled but not known to be acknowledged (the process stopped in between)."""
        rows = await self.tx.fetchall("SELECT update_id FROM inbox WHERE done = 1")
        return [r["update_id"] for r in rows]

    async def done(self, update_id: int) -> None:
        """Handled, not yet acknowledged: kept (encrypted) to recognise a redelivery."""
        await self.tx.execute("UPDATE inbox SET done = 1 WHERE update_id = ?", (update_id,))

    async def forget(self, update_ids: Iterable[int]) -> None:
        """Handled and acknowledged: Telegram will not send them again, so nothing is kept."""
        handled, params = among(self.tx, "update_id", update_ids)
        await self.tx.execute(f"DELETE FROM inbox WHERE {handled}", params)

    async def prune(self, before: datetime) -> int:
        """Forget handled updates received before `before` (left by a reused numbering)."""
        return await self.tx.execute(
            "DELETE FROM inbox WHERE done = 1 AND received_at < ?", (before.isoformat(),)
        )

    async def reencrypt(self, *, plain_only: bool = False) -> int:
        """Encrypt every stored update again under the current key (with `plain_only`, only
        those an earlier version stored in plain text); return how many."""
        rows = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox"
            + (" WHERE payload NOT LIKE 'v1:%'" if plain_only else "")
        )
        changed = 0
        for row in rows:
            text = self._open(row["payload"])
            if text is None:
                continue
            await self.tx.execute(
                "UPDATE inbox SET payload = ? WHERE update_id = ?",
                (self.cipher.encrypt_str(text, context=CONTEXT), row["update_id"]),
            )
            changed += 1
        return changed

    async def seal_plain(self) -> int:
        """Encrypt what an earlier version stored in plain text; return how many."""
        return await self.reencrypt(plain_only=True)
