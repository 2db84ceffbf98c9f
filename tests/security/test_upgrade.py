"""Upgrading from a version that kept updates and messages in plain text leaves none behind:
handled ones are gone (also from the file's free pages), waiting ones are encrypted and still
handled or delivered."""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path

from bot.keys import keys_from_master
from storage import Storage

ID = "11010519491231002X"


INBOX_ROW = "INSERT INTO inbox (update_id, payload, received_at, done) VALUES (?, ?, ?, ?)"


def leave_plain_text(database: Path) -> None:
    """What the version before 0010_at_rest left: plain JSON, deleted rows in free pages."""
    update = json.dumps({"update_id": 1, "message": {"text": f"身份证 {ID}"}}, ensure_ascii=False)
    message = json.dumps({"text": f"已核对身份证 {ID}"}, ensure_ascii=False)
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("DELETE FROM schema_migrations WHERE version = 10")
    db.execute(INBOX_ROW, (1, update, "2026-01-01T00:00:00+00:00", 1))
    db.execute(INBOX_ROW, (2, update, "2026-01-01T00:00:00+00:00", 0))
    db.execute(INBOX_ROW, (3, update, "2020-01-01T00:00:00+00:00", 1))
    db.execute("DELETE FROM inbox WHERE update_id = 3")  # pruned: the text stays in a free page
    for sent in ("'2026-01-01'", "NULL"):
        db.execute(
            "INSERT INTO outbox (chat_id, kind, payload, created_at, next_attempt_at, sent_at)"
            f" VALUES (1, 'text', ?, '2026-01-01', '2026-01-01', {sent})",
            (message,),
        )
    db.close()


def files_containing(database: Path, secret: str) -> list[str]:
    paths = [database, Path(f"{database}-wal")]
    return [p.name for p in paths if p.exists() and secret.encode() in p.read_bytes()]


async def test_plain_text_left_by_an_older_version_is_encrypted_or_gone(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    keys = keys_from_master(secrets.token_bytes(32))
    storage = Storage(database, keys)
    await storage.open()
    await storage.close()
    leave_plain_text(database)
    assert files_containing(database, ID) == ["bot.sqlite3"]

    await storage.open()
    try:
        assert files_containing(database, ID) == []
        async with storage.transaction() as repos:
            pending = await repos.inbox.pending()
            handled = await repos.inbox.handled()
            queued = await repos.outbox.lease_due(10)
        assert [(uid, u["message"]["text"]) for uid, u in pending] == [(2, f"身份证 {ID}")]
        assert handled == []  # handled in plain text: dropped by the migration
        assert [item.payload["text"] for item in queued] == [f"已核对身份证 {ID}"]
    finally:
        await storage.close()
    assert files_containing(database, ID) == []
