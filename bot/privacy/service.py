"""Consent, export and erasure as use cases: what handlers/privacy.py and consent.py call.

Functions that change rows take the open Repositories (the caller owns the transaction);
file I/O (reading documents for an export, deleting them after an erasure) takes BotData and
runs after the commit. Nothing here sends or draws anything.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.data import BotData
from bot.privacy.export import Export, build_zips
from bot.privacy.rules import POLICY_VERSION

if TYPE_CHECKING:
    from storage import Repositories
    from storage.applications import ApplicationRecord
    from storage.privacy import Consent

log = logging.getLogger(__name__)


async def agree(
    repos: Repositories, user_id: int, *, locale: str, text_sha256: str
) -> tuple[Consent, ApplicationRecord | None]:
    """Record consent to the current notice (once) and audit it; the consent and the form
    the merchant was filling in, if any."""
    if await repos.privacy.record_consent(
        user_id, version=POLICY_VERSION, locale=locale, text_sha256=text_sha256
    ):
        await repos.privacy.add_event(
            user_id, "consent", {"version": POLICY_VERSION, "text_sha256": text_sha256}
        )
    consent = await repos.privacy.consent(user_id, POLICY_VERSION)
    assert consent is not None
    log.info("user %s agreed to privacy notice %s", user_id, POLICY_VERSION)
    return consent, await repos.applications.active_form(user_id)


async def decline(repos: Repositories, user_id: int) -> list[str]:
    """End the application: a draft is deleted, a rejected one stops being fixed. The files
    nothing references any more, for delete_files()."""
    apps = repos.applications
    record = await apps.active_form(user_id)
    orphans: list[str] = []
    if record is not None and record.state == "draft":
        blobs = await apps.delete(record.id)
        orphans = [sha for sha in blobs if not await apps.blob_in_use(sha)]
    elif record is not None:
        await apps.set_editing(record.id, None)
    log.info("user %s declined the privacy notice", user_id)
    return orphans


@dataclass
class Archive:
    """A built export: its ZIPs (one unless it is too big for one Telegram file) and how many
    documents they hold."""

    parts: list[bytes]
    applications: int
    documents: int


async def build_archive(data: BotData, export: Export, user_id: int) -> Archive:
    """Read the export's documents (a missing file is left out and logged) and zip it all."""
    files: dict[str, bytes] = {}
    for name, sha256 in export.files.items():
        try:
            files[name] = await asyncio.to_thread(data.documents.get, sha256)
        except FileNotFoundError:
            log.warning("export for user %s: a document file is missing", user_id)
    parts = await asyncio.to_thread(build_zips, export.data, files)
    return Archive(parts, len(export.data["applications"]), len(files))


async def exported(repos: Repositories, user_id: int, archive: Archive) -> None:
    """Audit a delivered export (counts only)."""
    counts = {"applications": archive.applications, "documents": archive.documents}
    await repos.privacy.add_event(user_id, "export", {**counts, "files": len(archive.parts)})
    log.info("user %s exported their data (%d documents)", user_id, archive.documents)


async def delete_files(data: BotData, shas: list[str]) -> None:
    """Delete stored files once the rows that named them are committed away: a crash in
    between leaves only unreadable orphans."""
    for sha256 in shas:
        await asyncio.to_thread(data.documents.delete, sha256)
