"""`merchant-bot purge` deletes old documents of cancelled and rejected applications only."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.__main__ import main
from bot.documents import DocumentStore
from bot.keys import keys_for
from bot.settings import Settings
from storage import Storage
from storage.applications import DocumentRecord
from storage.db import utcnow
from tests.e2e.files import png
from tests.postgres import on_both_backends, point_cli_at, read_rows


async def _application(settings: Settings, user: int, state: str, age_days: int, seed: int):
    keys = keys_for(settings)
    store = DocumentStore(settings.data_dir / "documents", keys.cipher)
    blob = store.put(png(seed), "image/png")
    storage = Storage(settings.database, keys)
    await storage.open()
    async with storage.transaction() as repos:
        await repos.users.upsert_seen(user, first_name="m", username=None, language_code="zh")
        app_id = await repos.applications.create_draft(user)
        await repos.applications.save_document(
            app_id,
            DocumentRecord(
                slot="licence",
                sha256=blob.sha256,
                mime_type="image/png",
                size=blob.size,
                file_id=f"f{user}",
                file_unique_id=f"u{user}",
            ),
        )
        await repos.tx.execute(
            "UPDATE applications SET state = ?, updated_at = ? WHERE id = ?",
            (state, (utcnow() - timedelta(days=age_days)).isoformat(), app_id),
        )
    await storage.close()
    return store.path_for(blob.sha256)


@on_both_backends
def test_purge_deletes_only_old_cancelled_and_rejected_documents(
    make_settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    old_cancelled = asyncio.run(_application(settings, 1, "cancelled", 120, 1))
    old_rejected = asyncio.run(_application(settings, 2, "rejected", 95, 2))
    recent_cancelled = asyncio.run(_application(settings, 3, "cancelled", 10, 3))
    old_approved = asyncio.run(_application(settings, 4, "approved", 200, 4))
    assert all(p.exists() for p in (old_cancelled, old_rejected, recent_cancelled, old_approved))

    point_cli_at(monkeypatch, settings)
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "2 cancelled or rejected application(s) older than 90 days" in out
    assert not old_cancelled.exists() and not old_rejected.exists()
    assert recent_cancelled.exists() and old_approved.exists()
    left = {r[0] for r in read_rows(settings, "SELECT file_id FROM application_documents")}
    notes = [r[0] for r in read_rows(settings, "SELECT note FROM application_events")]
    assert left == {"f3", "f4"}
    assert sum("documents purged" in (n or "") for n in notes) == 2

    assert main(["purge", "--older-than-days", "5"]) == 0  # a shorter age catches the recent one
    assert not recent_cancelled.exists() and old_approved.exists()


async def _ticket(settings: Settings, user: int, closed_days_ago: int | None) -> int:
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    async with storage.transaction() as repos:
        await repos.users.upsert_seen(user, first_name="m", username=None, language_code="zh")
        ticket = await repos.tickets.create(
            user, subject="刷卡失败", faq_question_id=None, staff_chat_id=None
        )
        await repos.tickets.add_message(
            ticket.id,
            author_id=user,
            direction="merchant",
            kind="text",
            body="刷卡失败，请帮忙",
            chat_id=user,
            message_id=1,
        )
        if closed_days_ago is not None:
            closed = (utcnow() - timedelta(days=closed_days_ago)).isoformat()
            await repos.tx.execute(
                "UPDATE tickets SET status = 'closed', closed_at = ? WHERE id = ?",
                (closed, ticket.id),
            )
    await storage.close()
    return ticket.id


@on_both_backends
def test_purge_blanks_tickets_closed_longer_than_the_retention(
    make_settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    old = asyncio.run(_ticket(settings, 1, 200))
    recent = asyncio.run(_ticket(settings, 2, 10))
    still_open = asyncio.run(_ticket(settings, 3, None))
    point_cli_at(monkeypatch, settings)
    monkeypatch.setenv("RETENTION_TICKETS_DAYS", "180")
    assert main(["purge"]) == 0
    assert "blanked the messages of 1 ticket(s) closed more than 180 days ago" in (
        capsys.readouterr().out
    )
    bodies = dict(read_rows(settings, "SELECT ticket_id, body FROM ticket_messages"))
    subjects = dict(read_rows(settings, "SELECT id, subject FROM tickets"))
    assert bodies[old] == "" and subjects[old] == ""
    assert bodies[recent] and bodies[still_open] and subjects[recent] == "刷卡失败"
