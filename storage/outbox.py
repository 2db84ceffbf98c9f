"""Outbox: notifications stored with the change that caused them, delivered by one sender.

A payload is a rendered message (a staff reply quoting an ID number, for example), so it is
stored encrypted (context "outbox") and cleared to '' once delivered or given up: the row
stays, without its content, as the record of the delivery.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from bot.crypto import FieldCipher
from bot.masking import mask_text
from storage.db import Tx, utcnow

LEASE = timedelta(seconds=60)
CONTEXT = "outbox"  # authenticated with each payload: an outbox ciphertext opens nowhere else
# Due, and the oldest waiting message of its chat: a chat's messages go out in the order they
# were queued, nothing overtakes an earlier message to the same chat still waiting for a retry.
_DUE = (
    "o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
    " AND NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.chat_id = o.chat_id"
    " AND e.id < o.id AND e.sent_at IS NULL AND e.failed_at IS NULL"
    " AND (e.not_before IS NULL OR e.not_before <= ?))"
)


class OutboxItem(BaseModel):
    """One message waiting to be delivered."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class OutboxRepository:
    """Plain-SQL access to the outbox; the caller owns the transaction."""

    def __init__(self, tx: Tx, cipher: FieldCipher) -> None:
        self.tx = tx
        self.cipher = cipher

    def _seal(self, payload: dict[str, Any]) -> str:
        return self.cipher.encrypt_str(json.dumps(payload, ensure_ascii=False), context=CONTEXT)

    def _open(self, stored: str) -> dict[str, Any]:
        if not stored.startswith("v1:"):
            return json.loads(stored)  # queued in plain text before 0010_at_rest
        return json.loads(self.cipher.decrypt_str(stored, context=CONTEXT))

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
                "INSERT INTO outbox (chat_id, kind, payload, dedupe_key, created_at,"
                " next_attempt_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (chat_id, kind, self._seal(payload), dedupe_key, now, due or now, due),
            )
            == 1
        )

    async def lease_due(self, limit: int, now: datetime | None = None) -> list[OutboxItem]:
        """Take up to `limit` due messages (at most one per chat, the oldest), leasing them so
        no other sender takes them too."""
        now = now or utcnow()
        until = (now + LEASE).isoformat()
        if self.tx.dialect == "postgresql":
            # Several instances lease at once: one statement locks the rows it takes and
            # skips those another sender is taking, so no row is leased twice. A chat's later
            # message is not taken while an earlier one is pending: a row being leased is
            # still pending to everyone else, so order holds across instances too.
            rows = await self.tx.fetchall(
                "UPDATE outbox SET next_attempt_at = ? WHERE id IN ("
                f"SELECT o.id FROM outbox AS o WHERE {_DUE} ORDER BY o.id LIMIT ?"
                " FOR UPDATE OF o SKIP LOCKED)"
                " RETURNING id, chat_id, kind, payload, attempts",
                (until, now.isoformat(), now.isoformat(), limit),
            )
            rows = sorted(rows, key=lambda r: r["id"])
        else:
            rows = await self.tx.fetchall(
                f"SELECT id, chat_id, kind, payload, attempts FROM outbox AS o WHERE {_DUE}"
                " ORDER BY id LIMIT ?",
                (now.isoformat(), now.isoformat(), limit),
            )
            for row in rows:
                await self.tx.execute(
                    "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (until, row["id"])
                )
        return [
            OutboxItem.model_validate({**dict(r), "payload": self._open(r["payload"])})
            for r in rows
        ]

    async def mark_sent(self, item_id: int) -> None:
        """Delivered: the content is no longer needed."""
        await self.tx.execute(
            "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, payload = '' WHERE id = ?",
            (utcnow().isoformat(), item_id),
        )

    async def retry_later(self, item_id: int, error: str, delay: timedelta) -> None:
        """Delivery failed for a passing reason; try again after `delay`."""
        await self.tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ?",
            (mask_text(error[:500]), (utcnow() + delay).isoformat(), item_id),
        )

    async def give_up(self, item_id: int, error: str) -> None:
        """Delivery can never succeed (bot blocked, bad request): the content goes."""
        await self.tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?,"
            " payload = '' WHERE id = ?",
            (mask_text(error[:500]), utcnow().isoformat(), item_id),
        )

    async def pending_count(self) -> int:
        """Messages not yet delivered nor given up."""
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        )
        return int(row["n"]) if row else 0

    async def reencrypt_pending(self, *, plain_only: bool = False) -> int:
        """Encrypt every undelivered payload again under the current key (with `plain_only`,
        only those an earlier version stored in plain text); return how many."""
        rows = await self.tx.fetchall(
            "SELECT id, payload FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
            + (" AND payload NOT LIKE 'v1:%'" if plain_only else "")
        )
        for row in rows:
            await self.tx.execute(
                "UPDATE outbox SET payload = ? WHERE id = ?",
                (self._seal(self._open(row["payload"])), row["id"]),
            )
        return len(rows)

    async def seal_plain(self) -> int:
        """Encrypt what an earlier version queued in plain text; return how many."""
        return await self.reencrypt_pending(plain_only=True)
