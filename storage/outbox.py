"""Outbox: notifications stored with the change that caused them, delivered by one sender."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from storage.db import Tx, utcnow

LEASE = timedelta(seconds=60)


class OutboxItem(BaseModel):
    """One message waiting to be delivered."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class OutboxRepository:
    """Plain-SQL access to the outbox; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def put(
        self,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a message; with a dedupe_key, queuing the same thing twice queues it once.

        With `not_before` it is sent no earlier, and until then later messages to the same
        chat do not wait for it.
        """
        now = utcnow().isoformat()
        due = not_before.isoformat() if not_before else None
        return (
            await self.tx.execute(
                "INSERT OR IGNORE INTO outbox (chat_id, kind, payload, dedupe_key, created_at,"
                " next_attempt_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    kind,
                    json.dumps(payload, ensure_ascii=False),
                    dedupe_key,
                    now,
                    due or now,
                    due,
                ),
            )
            == 1
        )

    async def lease_due(self, limit: int, now: datetime | None = None) -> list[OutboxItem]:
        """Take up to `limit` due messages (at most one per chat, the oldest), leasing them so
        no other sender takes them too."""
        now = now or utcnow()
        rows = await self.tx.fetchall(
            "SELECT id, chat_id, kind, payload, attempts FROM outbox AS o"
            " WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?"
            # A chat's messages go out in the order they were queued: nothing overtakes an
            # earlier message to the same chat that is still waiting for a retry.
            " AND NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.chat_id = o.chat_id"
            " AND e.id < o.id AND e.sent_at IS NULL AND e.failed_at IS NULL"
            " AND (e.not_before IS NULL OR e.not_before <= ?))"
            " ORDER BY id LIMIT ?",
            (now.isoformat(), now.isoformat(), limit),
        )
        until = (now + LEASE).isoformat()
        for row in rows:
            await self.tx.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (until, row["id"])
            )
        return [
            OutboxItem.model_validate({**dict(r), "payload": json.loads(r["payload"])})
            for r in rows
        ]

    async def mark_sent(self, item_id: int) -> None:
        """Delivered."""
        await self.tx.execute(
            "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (utcnow().isoformat(), item_id),
        )

    async def retry_later(self, item_id: int, error: str, delay: timedelta) -> None:
        """Delivery failed for a passing reason; try again after `delay`."""
        await self.tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ?",
            (error[:500], (utcnow() + delay).isoformat(), item_id),
        )

    async def give_up(self, item_id: int, error: str) -> None:
        """Delivery can never succeed (bot blocked, bad request)."""
        await self.tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE id = ?",
            (error[:500], utcnow().isoformat(), item_id),
        )

    async def pending_count(self) -> int:
        """Messages not yet delivered nor given up."""
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        )
        return int(row["n"]) if row else 0
