"""TicketDraftRepository: the ticket a merchant is describing, before it exists, and where
their next private message goes (into that description, else onto one of their tickets)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bot.masking import mask_text
from bot.support.rules import ACTIVE
from storage.db import Tx, utcnow
from storage.tickets import MAX_BODY, ROUTABLE, DraftPart, Ticket


class TicketDraft(BaseModel):
    """A ticket being described."""

    merchant_id: int
    faq_question_id: int | None
    parts: list[DraftPart] = Field(default_factory=list)
    started_at: datetime
    updated_at: datetime


class TicketDraftRepository:
    """Plain-SQL access to ticket drafts; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def draft(self, merchant_id: int) -> TicketDraft | None:
        """The ticket the merchant is describing, or None."""
        row = await self.tx.fetchone(
            "SELECT * FROM ticket_drafts WHERE merchant_id = ?", (merchant_id,)
        )
        return _draft(row) if row else None

    async def start_draft(self, merchant_id: int, faq_question_id: int | None) -> None:
        """Start describing a new ticket (an unfinished one is replaced)."""
        now = utcnow().isoformat()
        await self.tx.execute(
            "INSERT INTO ticket_drafts (merchant_id, faq_question_id, parts,"
            " started_at, updated_at) VALUES (?, ?, '[]', ?, ?) ON CONFLICT (merchant_id)"
            " DO UPDATE SET faq_question_id = excluded.faq_question_id, parts = '[]',"
            " started_at = excluded.started_at, updated_at = excluded.updated_at",
            (merchant_id, faq_question_id, now, now),
        )

    async def add_draft_part(self, merchant_id: int, part: DraftPart) -> None:
        """Append a message to the description (its text masked)."""
        draft = await self.draft(merchant_id)
        if draft is None:
            return
        await self.tx.execute(
            "UPDATE ticket_drafts SET parts = ?, updated_at = ? WHERE merchant_id = ?",
            (_dumped([*draft.parts, _masked(part)]), utcnow().isoformat(), merchant_id),
        )

    async def incoming(
        self,
        merchant_id: int,
        part: DraftPart | None,
        *,
        stale_before: datetime,
        resolved_after: datetime,
    ) -> tuple[TicketDraft | None, list[Ticket]]:
        """Where a merchant's private message goes: the description they are writing, with
        `part` added (one left alone since `stale_before` is dropped first); else no draft and
        the tickets it may go to (active ones, and ones resolved after `resolved_after`)."""
        row = await self.tx.fetchone(
            "SELECT * FROM ticket_drafts WHERE merchant_id = ?", (merchant_id,)
        )
        draft = _draft(row) if row else None
        if draft is not None and draft.updated_at < stale_before:
            await self.tx.execute("DELETE FROM ticket_drafts WHERE merchant_id = ?", (merchant_id,))
            draft = None
        if draft is None:
            rows = await self.tx.fetchall(
                ROUTABLE, (merchant_id, *ACTIVE, resolved_after.isoformat())
            )
            return None, [Ticket.model_validate(dict(r)) for r in rows]
        if part is None:
            return draft, []
        now = utcnow()
        parts = [*draft.parts, _masked(part)]
        await self.tx.execute(
            "UPDATE ticket_drafts SET parts = ?, updated_at = ? WHERE merchant_id = ?",
            (_dumped(parts), now.isoformat(), merchant_id),
        )
        return draft.model_copy(update={"parts": parts, "updated_at": now}), []

    async def drop_draft(self, merchant_id: int) -> None:
        """Forget the description (created or cancelled)."""
        await self.tx.execute("DELETE FROM ticket_drafts WHERE merchant_id = ?", (merchant_id,))


def _draft(row: Any) -> TicketDraft:
    return TicketDraft.model_validate({**dict(row), "parts": json.loads(row["parts"])})


def _masked(part: DraftPart) -> DraftPart:
    """The part as a draft stores it: text and file name with personal data masked."""
    name = mask_text(part.file_name) if part.file_name else None
    return part.model_copy(update={"body": mask_text(part.body[:MAX_BODY]), "file_name": name})


def _dumped(parts: list[DraftPart]) -> str:
    return json.dumps([p.model_dump() for p in parts], ensure_ascii=False)
