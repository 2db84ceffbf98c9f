"""`merchant-bot purge`: delete the documents of cancelled and rejected applications, and
blank the contents of tickets closed longer than RETENTION_TICKETS_DAYS.

Licence and ID card scans are the most sensitive thing the bot holds; once an application is
cancelled, or rejected and left alone, for longer than PURGE_AFTER_DAYS they are deleted
(the database rows and the encrypted files), and the deletion is an audit event.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.documents import DocumentStore
from bot.keys import keys_for
from bot.settings import Settings
from storage import Storage
from storage.db import utcnow

log = logging.getLogger(__name__)


async def purge(settings: Settings, *, older_than_days: float) -> tuple[int, int]:
    """Purge; return (applications, files deleted)."""
    keys = keys_for(settings)
    storage = Storage(settings.database, keys)
    documents = DocumentStore(settings.data_dir / "documents", keys.cipher)
    before = utcnow() - timedelta(days=older_than_days)
    await storage.open()
    try:
        async with storage.transaction() as repos:
            apps = repos.applications
            orphans: set[str] = set()
            purged = await apps.purgeable(before)
            for record in purged:
                blobs = await apps.drop_documents(record.id)
                orphans.update(blobs)
                await apps.add_event(
                    record.id,
                    actor=None,
                    from_state=record.state,
                    to_state=record.state,
                    note=f"documents purged ({len(blobs)}) after {older_than_days:g} days",
                )
            orphans = {sha for sha in orphans if not await apps.blob_in_use(sha)}
        # The rows are gone (committed) before the files: a crash in between leaves only
        # unreferenced encrypted files, never a row pointing at nothing.
        for sha in orphans:
            await asyncio.to_thread(documents.delete, sha)
    finally:
        await storage.close()
    for record in purged:
        log.info("purged the documents of application %s (%s)", record.number, record.state)
    return len(purged), len(orphans)


async def purge_ticket_contents(settings: Settings) -> int:
    """Blank the messages of tickets closed longer than RETENTION_TICKETS_DAYS; return how
    many tickets (their numbers, statuses and times stay for the statistics)."""
    storage = Storage(settings.database, keys_for(settings))
    before = utcnow() - timedelta(days=settings.retention_tickets_days)
    await storage.open()
    try:
        async with storage.transaction() as repos:
            return await repos.erasure.blank_closed_tickets(before)
    finally:
        await storage.close()


def run_purge(settings: Settings, older_than_days: float | None) -> int:
    """The CLI command; prints what it did."""
    days = older_than_days if older_than_days is not None else settings.purge_after_days
    applications, files = asyncio.run(purge(settings, older_than_days=days))
    print(
        f"purged documents of {applications} cancelled or rejected application(s) older than"
        f" {days:g} days; {files} encrypted file(s) deleted"
    )
    tickets = asyncio.run(purge_ticket_contents(settings))
    print(
        f"blanked the messages of {tickets} ticket(s) closed more than"
        f" {settings.retention_tickets_days:g} days ago"
    )
    return 0
