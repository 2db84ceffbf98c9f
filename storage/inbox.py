"""The inbox of received updates (see bot/polling.py).

An update is personal data as received (an ID number typed into the form, a code typed in
/activate), so the row holds it encrypted (context "inbox"), and only for as long as replay
needs it: from receipt until it is both handled and acknowledged to Telegram.

Each row also names its chat (`chat_key`, in the clear: a Telegram id, not what was said), so
that on PostgreSQL any instance can take one chat's turn and handle its updates in order
(bot/turns.py).
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
_UPSERT = (
    "INSERT INTO inbox (update_id, payload, received_at, done, chat_key) VALUES (?, ?, ?, 0, ?)"
    " ON CONFLICT (update_id) DO UPDATE SET payload = excluded.payload,"
    " received_at = excluded.received_at, done = 0, chat_key = excluded.chat_key"
)


def chat_key(payload: dict[str, Any]) -> int:
    """The chat an update belongs to (as PTB's effective_chat), else its sender, else 0: the
    updates of one key are handled one at a time, in order."""
    for name, value in payload.items():
        if name == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if not isinstance(chat, dict) and isinstance(value.get("message"), dict):
            chat = value["message"].get("chat")  # a button press: the message's chat
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return chat["id"]
        user = value.get("from") or value.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            return user["id"]
    return 0


class InboxRepository:
    """Plain-SQL access to the inbox; the caller owns the transaction."""

    def __init__(self, tx: Tx, cipher: FieldCipher) -> None:
        self.tx = tx
        self.cipher = cipher

    def _open(self, stored: str) -> str | None:
        return _open(self.cipher, stored)

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
        keys = {uid: chat_key(p) for uid, p in updates}
        if self.tx.dialect == "postgresql":
            return await self._receive_shared(texts, keys, now)
        known, params = among(self.tx, "update_id", texts)
        rows = await self.tx.fetchall(f"SELECT update_id, payload FROM inbox WHERE {known}", params)
        stored = {r["update_id"]: self._open(r["payload"]) for r in rows}
        fresh = [uid for uid, text in texts.items() if stored.get(uid) != text]
        await self.tx.executemany(
            _UPSERT,
            [(uid, self._seal(texts[uid]), now, keys[uid]) for uid in fresh],
        )
        return fresh

    async def _receive_shared(
        self, texts: dict[int, str], keys: dict[int, int], now: str
    ) -> list[int]:
        """receive() when other instances may store the same update at the same moment (a
        webhook redelivered to another instance): read-then-write would let both take it
        for new under READ COMMITTED, so insert first (the batch in one statement) and
        compare, under a row lock, those that were stored already."""
        ids = sorted(texts)  # one order for every instance: no deadlock between two batches
        rows = await self.tx.fetchall(
            "INSERT INTO inbox (update_id, payload, received_at, done, chat_key)"
            " SELECT u, p, ?, 0, k FROM unnest(?::BIGINT[], ?::TEXT[], ?::BIGINT[]) AS t(u, p, k)"
            " ORDER BY u ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            (now, ids, [self._seal(texts[u]) for u in ids], [keys[u] for u in ids]),
        )
        inserted = {r["update_id"] for r in rows}
        fresh = []
        for uid in ids:
            if uid not in inserted:
                # Stored already (perhaps by another instance that has just committed).
                old = await self.tx.fetchone(
                    "SELECT payload FROM inbox WHERE update_id = ? FOR UPDATE", (uid,)
                )
                if old is not None and self._open(old["payload"]) == texts[uid]:
                    continue  # a redelivery
                await self.tx.execute(_UPSERT, (uid, self._seal(texts[uid]), now, keys[uid]))
            fresh.append(uid)
        return fresh

    async def announce(self, keys: Iterable[int], sender: str) -> None:
        """PostgreSQL: tell every listening instance (bot/turns.py) that these chats have
        updates waiting, when the transaction commits. `sender`: the announcing instance."""
        payload = f"{sender}|{','.join(str(int(k)) for k in keys)}"
        await self.tx.execute("SELECT pg_notify(?, ?)", (INBOX_CHANNEL, payload))

    def _seal(self, text: str) -> str:
        return self.cipher.encrypt_str(text, context=CONTEXT)

    async def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates received but not handled (a crash came in between), oldest first."""
        rows = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox WHERE done = 0 ORDER BY update_id"
        )
        return self._read(rows)

    async def pending_of(self, key: int, limit: int = 50) -> list[tuple[int, dict[str, Any]]]:
        """One chat's updates not handled yet, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox WHERE done = 0 AND chat_key = ?"
            " ORDER BY update_id LIMIT ?",
            (key, limit),
        )
        return self._read(rows)

    async def pending_with_session(
        self, key: int, limit: int = 50
    ) -> tuple[list[tuple[int, dict[str, Any]]], str | None]:
        """pending_of, with the stored conversation state (sealed, see storage/sessions.py)
        of the person whose id is the chat's, read in the same query: in a private chat, the
        state the first of those updates starts from."""
        rows = await self.tx.fetchall(
            "SELECT i.update_id, i.payload, s.state AS session FROM inbox AS i"
            " LEFT JOIN user_sessions AS s ON s.user_id = i.chat_key"
            " WHERE i.done = 0 AND i.chat_key = ? ORDER BY i.update_id LIMIT ?",
            (key, limit),
        )
        return self._read(rows), (rows[0]["session"] if rows else None)

    async def waiting(self, key: int) -> bool:
        """True if the chat has an update not handled yet."""
        row = await self.tx.fetchone(
            "SELECT 1 AS one FROM inbox WHERE done = 0 AND chat_key = ? LIMIT 1", (key,)
        )
        return row is not None

    async def key_chats(self) -> int:
        """Give rows stored before 0014 their chat_key; return how many."""
        unkeyed = await self.tx.fetchall(
            "SELECT update_id, payload FROM inbox WHERE chat_key IS NULL"
        )
        for uid, payload in self._read(unkeyed):
            await self.tx.execute(
                "UPDATE inbox SET chat_key = ? WHERE update_id = ?", (chat_key(payload), uid)
            )
        return len(unkeyed)

    async def waiting_chats(self, limit: int = 1000) -> list[int]:
        """Chats with updates not handled yet."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT chat_key FROM inbox WHERE done = 0 AND chat_key IS NOT NULL LIMIT ?",
            (limit,),
        )
        return [r["chat_key"] for r in rows]

    async def forget_handled(self, below: int | None) -> int:
        """A getUpdates call acknowledged every update below `below` (None: every one): the
        handled ones among them leave the inbox."""
        if below is None:
            return await self.tx.execute("DELETE FROM inbox WHERE done = 1")
        return await self.tx.execute("DELETE FROM inbox WHERE done = 1 AND update_id < ?", (below,))

    def _read(self, rows: Sequence[Any]) -> list[tuple[int, dict[str, Any]]]:
        return _read(self.cipher, rows)

    async def handled(self) -> list[int]:
        """Ids handled but not known to be acknowledged (the process stopped in between)."""
        rows = await self.tx.fetchall("SELECT update_id FROM inbox WHERE done = 1")
        return [r["update_id"] for r in rows]

    async def done(self, update_id: int) -> None:
        """Handled, not yet acknowledged: kept (encrypted) to recognise a redelivery."""
        await self.tx.execute("UPDATE inbox SET done = 1 WHERE update_id = ?", (update_id,))

    async def mark_done(self, update_ids: Iterable[int]) -> None:
        """done() for many at once."""
        handled, params = among(self.tx, "update_id", update_ids)
        await self.tx.execute(f"UPDATE inbox SET done = 1 WHERE {handled}", params)

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
                (self._seal(text), row["update_id"]),
            )
            changed += 1
        return changed

    async def seal_plain(self) -> int:
        """Encrypt what an earlier version stored in plain text; return how many."""
        return await self.reencrypt(plain_only=True)


# For bot/cluster.py's hand-back of a chat's turn, sent in one simple query (no parameters,
# hence the ids written in as integers): the last updates marked done, committed before the
# turn is given back; and the look for waiting updates, a statement of its own after it (a
# fresh snapshot: it sees what another instance stored before failing to take the turn).


def mark_done_sql(update_ids: Iterable[int]) -> str:
    """done() for these updates as a statement with no parameters."""
    ids = ", ".join(str(int(u)) for u in update_ids)
    return f"UPDATE inbox SET done = 1 WHERE update_id IN ({ids})"


def waiting_sql(key: int) -> str:
    """waiting() as a statement with no parameters: it returns a row if the chat has one."""
    return f"SELECT 1 FROM inbox WHERE done = 0 AND chat_key = {int(key)} LIMIT 1"


# NOTIFY channel of `announce`; a payload is "<sender>|<chat key>,<chat key>,…".
INBOX_CHANNEL = "merchant_bot_inbox"


def announced(payload: str) -> tuple[str, list[int]]:
    """The sender and the chat keys of an `announce` payload."""
    sender, _, keys = payload.rpartition("|")
    return sender, [int(k) for k in keys.split(",") if k.lstrip("-").isdigit()]


# take_chat_turn (migration 0018, PostgreSQL): the chat's turn and pending_with_session in one
# round trip, run on the lock connection by bot/cluster.py take_chat; $1 the chat, $2 the limit.
TAKE_TURN_SQL = "SELECT taken, update_id, payload, session FROM take_chat_turn($1, $2)"


def taken_updates(
    cipher: FieldCipher, rows: Sequence[Any]
) -> tuple[list[tuple[int, dict[str, Any]]], str | None]:
    """What pending_with_session returns, from TAKE_TURN_SQL's rows of a taken turn."""
    rows = [r for r in rows if r["update_id"] is not None]
    return _read(cipher, rows), (rows[0]["session"] if rows else None)


def _open(cipher: FieldCipher, stored: str) -> str | None:
    """The payload's JSON text; None if it cannot be read (a key removed since)."""
    if not stored.startswith("v1:"):
        return stored  # written in plain text before 0010_at_rest; gone once handled
    try:
        return cipher.decrypt_str(stored, context=CONTEXT)
    except DecryptionError:
        return None


def _read(cipher: FieldCipher, rows: Sequence[Any]) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for row in rows:
        text = _open(cipher, row["payload"])
        if text is None:
            log.error("update %s in the inbox cannot be decrypted", row["update_id"])
        else:
            found.append((row["update_id"], json.loads(text)))
    return found
