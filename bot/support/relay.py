"""A merchant's follow-ups on a ticket reach staff combined, so no one can crowd others out.

A support group takes Telegram's 20 messages a minute, in order: one staff message per
follow-up would let one merchant's flood hold up every other merchant's new ticket card.
So a follow-up queues at most one pending batch per ticket: at once after a quiet spell, else
SUPPORT_BATCH_SECONDS after the previous batch went out, and until then the batch does not
hold up other messages to the group. It is rendered when it is sent (handlers/support_batch.py),
from the ticket's stored messages newer than the last one staff saw; follow-ups that arrive
meanwhile join it (its dedupe key names that last message) or, once it is on its way, the
next one. Photos and documents are named in the text and copied right after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.data import BotData
from bot.masking import mask_text
from bot.support.kinds import COPY, TICKET_BATCH
from bot.support.texts import staff_locale
from storage import Repositories
from storage.db import utcnow
from storage.tickets import DraftPart, Ticket, TicketMessage


async def queue_relay(
    repos: Repositories, data: BotData, ticket: Ticket, *, reopened: bool = False
) -> None:
    """Make sure a batch is on its way to staff for the merchant's newest messages."""
    chat_id = ticket.staff_chat_id or data.settings.support_chat_id
    if chat_id is not None:
        await queue_batch(
            repos, data, ticket.id, chat_id, ticket.relayed_upto, ticket.relayed_at, reopened
        )


async def queue_batch(
    repos: Repositories,
    data: BotData,
    ticket_id: int,
    chat_id: int,
    upto: int,
    last_at: datetime | None,
    reopened: bool = False,
) -> None:
    """Queue (or join) the pending batch of a ticket's follow-ups for chat_id."""
    window = timedelta(seconds=data.settings.support_batch_seconds)
    due = last_at + window if last_at is not None else None
    await repos.outbox.put(
        chat_id,
        TICKET_BATCH,
        {"ticket_id": ticket_id, "reopened": reopened},
        dedupe_key=f"tk-batch:{ticket_id}:{upto}",
        not_before=due if due is not None and due > utcnow() else None,
    )


async def copy_to_staff(
    repos: Repositories,
    data: BotData,
    ticket: Ticket,
    part: DraftPart | TicketMessage,
    name: str,
    chat_id: int | None = None,
    *,
    reopened: bool = False,
) -> None:
    """Queue a copy of a photo or document for a staff chat, captioned with the ticket."""
    target = chat_id or ticket.staff_chat_id or data.settings.support_chat_id
    if target is None:
        return
    caption = data.renderer.render(
        staff_locale(data),
        "support/staff_relay",
        number=ticket.number,
        name=name,
        body=mask_text(part.body),
        reopened=reopened,
    )
    payload = {
        "from_chat_id": part.chat_id,
        "message_id": part.message_id,
        "caption": caption[:1000],
        "ticket_id": ticket.id,
    }
    await repos.outbox.put(target, COPY, payload)
