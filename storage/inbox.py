"""The inbox of received updates (see bot/polling.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.db import Tx, utcnow


class InboxRepository:
    """Plain-SQL access to the inbox; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def receive(self, updates: Sequence[tuple[int, dict[str, Any]]]) -> list[int]:
        """Store received updates; return the ids that are new (not a redelivery).

        An id already stored with the same content is a redelivery. With other content it
        is a new update under a reused id (a fresh sandbox server, or Telegram restarting its
        numbering after a quiet week): it replaces the old row.
        """
        now = utcnow().isoformat()
        texts = {uid: json.dumps(p, ensure_ascii=False, sort_keys=True) for uid, p in updates}
        rows = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox"
            " WHERE update_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(texts)),),
        )
        stored = {r["update_id"]: r["payload"] for r in rows}
        fresh = [uid for uid, text in texts.items() if stored.get(uid) != text]
        await self.tx.executemany(
            "INSERT INTO inbox (update_id, payload, received_at, done) VALUES (?, ?, ?, 0)"
            " ON CONFLICT (update_id) DO UPDATE SET payload = excluded.payload,"
            " received_at = excluded.received_at, done = 0",
            [(uid, texts[uid], now) for uid in fresh],
        )
        return fresh

    async def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates received but not handled (a crash came in between), oldest first."""
        rows = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox WHERE done = 0 ORDER BY update_id"
        )
        return [(r["update_id"], json.loads(r["payload"])) for r in rows]

    async def done(self, update_id: int) -> None:
        """Handled."""
        await self.tx.execute("UPDATE inbox SET done = 1 WHERE update_id = ?", (update_id,))

    async def prune(self, before: datetime) -> int:
        """Forget handled updates received before `before`."""
        return await self.tx.execute(
            "DELETE FROM inbox WHERE done = 1 AND received_at < ?", (before.isoformat(),)
        )
