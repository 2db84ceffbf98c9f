"""A merchant's follow-ups on a ticket reach staff combined, so no one can crowd others out.

A support group takes Telegram's 20 messages a minute, in order: one staff message per
follow-up would let one merchant's flood hold up every other merchant's new ticket card.
So a follow-up queues at most one pending batch per ticket: at once after a quiet spell, else
SUPPORT_BATCH_SECONDS after the previous batch went out, and until then the batch does not
hold up other messages to the group. It is rendered when it is sent, from the ticket's
stored messages newer than the last one staff saw; follow-ups that arrive meanwhile join it
(its dedupe key names that last message) or, once it is on its way, the next one. Photos
and documents are named in the text and copied right after it.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.data import BotData
from bot.support.relay import copy_to_staff, queue_batch
from bot.support.rules import Policy
from bot.support.texts import staff_locale, support_label
from handlers.support_views import _thread
from storage.db import utcnow
from storage.tickets import Ticket, TicketMessage

log = logging.getLogger(__name__)

# Telegram's limit is 4096 characters of text; the HTML we send is never shorter.
_MAX_TEXT = 4000


def batch_text(
    data: BotData, ticket: Ticket, messages: list[TicketMessage], name: str, reopened: bool
) -> tuple[str, int]:
    """The staff message for the first messages of `messages` that fit, and how many fit."""
    locale = staff_locale(data)
    rows = [
        {
            "kind": m.kind,
            "label": support_label(data, locale, f"kind_{m.kind}") if m.kind != "text" else "",
            "file_name": m.file_name,
            "body": m.body,
        }
        for m in messages
    ]
    count = len(rows)
    while True:
        text = data.renderer.render(
            locale,
            "support/staff_batch",
            number=ticket.number,
            name=name,
            reopened=reopened,
            messages=rows[:count],
        )
        if len(text) <= _MAX_TEXT or count == 1:
            return text, count
        count -= 1


async def post_batch(bot: Bot, data: BotData, chat_id: int, payload: dict) -> None:
    """Send a ticket's batch of follow-ups (called by the outbox sender)."""
    ticket_id = int(payload["ticket_id"])
    reopened = bool(payload.get("reopened"))
    async with data.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
        if ticket is None:
            return
        messages = await repos.tickets.merchant_messages_after(ticket_id, ticket.relayed_upto)
        user = await repos.users.get(ticket.merchant_id)
    if not messages:
        return  # an earlier batch took them already
    name = user.first_name if user else str(ticket.merchant_id)
    text, count = batch_text(data, ticket, messages, name, reopened)
    shown = messages[:count]
    sent = None
    if any(m.kind == "text" for m in shown):
        try:
            sent = await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_parameters=await _thread(data, chat_id, ticket_id),
            )
        except (BadRequest, Forbidden):
            # Refused for good: move on, or every later follow-up would wait for this one.
            await _posted(data, ticket, chat_id, shown, name, reopened, sent_id=None, copies=False)
            raise
    sent_id = sent.message_id if sent is not None else None
    await _posted(data, ticket, chat_id, shown, name, reopened, sent_id=sent_id, copies=True)


async def _posted(
    data: BotData,
    ticket: Ticket,
    chat_id: int,
    shown: list[TicketMessage],
    name: str,
    reopened: bool,
    *,
    sent_id: int | None,
    copies: bool,
) -> None:
    """Staff have seen `shown` (in message `sent_id`, a reply to which answers the ticket):
    queue the copies of its media, and the next batch if more came in meanwhile."""
    now, upto = utcnow(), shown[-1].id
    policy = Policy.of(data.settings)
    async with data.storage.transaction() as repos:
        if sent_id is not None:
            await repos.tickets.remember_staff_message(chat_id, sent_id, ticket.id, "message")
        await repos.tickets.note_fields(ticket.id, relayed_upto=upto, relayed_at=now)
        if copies:
            media = [m for m in shown if m.kind != "text"]
            for index, message in enumerate(media):
                first = index == 0 and len(media) == len(shown)  # no text went before it
                await copy_to_staff(
                    repos, policy, ticket, message, name, chat_id, reopened=reopened and first
                )
        if await repos.tickets.merchant_messages_after(ticket.id, upto, limit=1):
            await queue_batch(repos, policy, ticket.id, chat_id, upto, now)
