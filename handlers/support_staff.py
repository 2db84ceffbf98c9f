"""Support tickets, the staff side: replies in the support chat, /reply, /take, /pending,
/resolve, /escalate, /note and /tickets.

Every action checks the sender's support role (admins pass), whatever chat it comes from.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ParseMode

from bot.context import Context
from bot.parsing import echo
from bot.support import staff as staff_side
from bot.support.rules import Policy, parse_ticket_number
from bot.support.texts import clock, staff_locale, staff_text, support_label
from handlers import review
from handlers.common import locale_of
from handlers.staff import require_role
from handlers.support import message_part, tickets_for_merchant
from handlers.support_views import refresh_cards
from storage.db import utcnow
from storage.tickets import DraftPart, Listing, Ticket

log = logging.getLogger(__name__)

LISTINGS: tuple[Listing, ...] = ("open", "mine", "escalated")
# The kind of a remembered staff-chat message whose reply is an escalation's reason.
ESCALATE_PROMPT = "escalate_prompt"


async def _say(
    message: Message, context: Context, key: str, ticket_id: int | None = None, **values: object
) -> None:
    """Answer in the staff chat; an answer about a ticket is part of it (replies route)."""
    sent = await message.reply_text(
        staff_text(context.bot_data, key, **values), parse_mode=ParseMode.HTML, do_quote=True
    )
    if ticket_id is not None and sent.chat_id < 0:
        async with context.bot_data.storage.transaction() as repos:
            await repos.tickets.remember_staff_message(
                sent.chat_id, sent.message_id, ticket_id, "ack"
            )


async def _ticket(update: Update, context: Context, usage: str) -> Ticket | None:
    """The ticket named by the first argument; answers usage / not found otherwise."""
    message = update.effective_message
    assert message is not None
    args = context.args or []
    ticket_id = parse_ticket_number(args[0]) if args else None
    if ticket_id is None and not args and message.reply_to_message is not None:
        # "/take" sent as a reply to a ticket's message means that ticket.
        async with context.bot_data.storage.transaction() as repos:
            ticket_id = await repos.tickets.ticket_of_staff_message(
                message.chat_id, message.reply_to_message.message_id
            )
    if ticket_id is None:
        await _say(message, context, "usage", command=usage)
        return None
    async with context.bot_data.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
    if ticket is None:
        await _say(message, context, "not_found", number=echo(args[0]))
    return ticket


def _rest(message: Message) -> str:
    """The text after the command and the ticket number, line breaks kept."""
    parts = (message.text or "").split(maxsplit=2)
    return parts[2].strip() if len(parts) == 3 else ""


async def _after(context: Context, ticket: Ticket, *, changed: bool = True) -> None:
    context.bot_data.kick_outbox()
    if changed:
        await refresh_cards(context.bot, context.bot_data, ticket.id)


async def _send_reply(update: Update, context: Context, ticket: Ticket, part: DraftPart) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    before = ticket.status
    async with data.storage.transaction() as repos:
        done = await staff_side.from_staff(repos, Policy.of(data.settings), ticket, user.id, part)
    if not done:
        await _say(message, context, "closed", ticket.id, number=ticket.number)
        return
    await _say(message, context, "sent", ticket.id, number=ticket.number)
    await _after(context, ticket, changed=ticket.status != before)


async def reply_command(update: Update, context: Context) -> None:
    """/reply T-000123 text: the text goes to the merchant."""
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    message = update.effective_message
    assert message is not None
    ticket = await _ticket(update, context, "/reply T-000123 …")
    body = _rest(message)
    if ticket is None:
        return
    if not body:
        await _say(message, context, "usage", command="/reply T-000123 …")
        return
    part = DraftPart(kind="text", body=body, chat_id=message.chat_id, message_id=message.message_id)
    await _send_reply(update, context, ticket, part)


async def on_group_reply(update: Update, context: Context) -> None:
    """A reply in a group: to a ticket's message it answers the merchant; otherwise it may be
    a reviewer's reason for a rejection (one dispatcher, since both can share a chat)."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    replied_to = message.reply_to_message.message_id
    async with context.bot_data.storage.transaction() as repos:
        ticket_id = await repos.tickets.ticket_of_staff_message(message.chat_id, replied_to)
        ticket = await repos.tickets.get(ticket_id) if ticket_id else None
        kind = await repos.tickets.staff_message_kind(message.chat_id, replied_to)
    if ticket is None:
        if message.text:
            await review.on_reason_reply(update, context)
        return
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    if kind == ESCALATE_PROMPT:
        # The answer to the card's Escalate button is the reason, not a message for the merchant.
        if not (message.text or "").strip():
            await _say(message, context, "escalate_reason_text", ticket.id, number=ticket.number)
            return
        assert update.effective_user is not None
        await escalate(message, context, ticket, update.effective_user.id, message.text.strip())
        return
    part = message_part(message)
    if part is None:
        await _say(message, context, "unsupported", ticket.id)
        return
    await _send_reply(update, context, ticket, part)


async def _simple(update: Update, context: Context, action: str) -> None:
    """/take, /pending, /resolve: one status change each."""
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    ticket = await _ticket(update, context, f"/{action} T-000123")
    if ticket is None:
        return
    change = {
        "take": staff_side.take,
        "pending": staff_side.pending,
        "resolve": staff_side.resolve,
    }[action]
    data = context.bot_data
    async with data.storage.transaction() as repos:
        done = await change(repos, Policy.of(data.settings), ticket, user.id)
    if not done:
        status = support_label(data, staff_locale(data), f"status_{ticket.status}")
        await _say(message, context, "state", ticket.id, number=ticket.number, status=status)
        return
    await _say(message, context, action, ticket.id, number=ticket.number, name=user.first_name)
    await _after(context, ticket)


async def take_command(update: Update, context: Context) -> None:
    """/take T-000123: assign the ticket to yourself."""
    await _simple(update, context, "take")


async def pending_command(update: Update, context: Context) -> None:
    """/pending T-000123: wait for the merchant."""
    await _simple(update, context, "pending")


async def resolve_command(update: Update, context: Context) -> None:
    """/resolve T-000123: solved; the merchant is asked to rate it."""
    await _simple(update, context, "resolve")


async def escalate_command(update: Update, context: Context) -> None:
    """/escalate T-000123 reason: to the next tier, with its history, in the escalation chat."""
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    ticket = await _ticket(update, context, "/escalate T-000123 …")
    if ticket is None:
        return
    reason = _rest(message)
    if not reason:
        await _say(message, context, "usage", command="/escalate T-000123 …")
        return
    await escalate(message, context, ticket, user.id, reason)


async def escalate(
    message: Message, context: Context, ticket: Ticket, staff_id: int, reason: str
) -> None:
    """Escalate with a reason and say how it went, in the chat the request came from."""
    data = context.bot_data
    async with data.storage.transaction() as repos:
        policy = Policy.of(data.settings)
        outcome = await staff_side.escalate(repos, policy, ticket, staff_id, reason[:300])
    tier = support_label(data, staff_locale(data), f"tier_{ticket.tier}")
    status = support_label(data, staff_locale(data), f"status_{ticket.status}")
    await _say(
        message,
        context,
        f"escalate_{outcome}",
        ticket.id,
        number=ticket.number,
        tier=tier,
        status=status,
    )
    if outcome == "ok":
        await _after(context, ticket)


async def note_command(update: Update, context: Context) -> None:
    """/note T-000123 text: an internal note, never sent to the merchant."""
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    ticket = await _ticket(update, context, "/note T-000123 …")
    body = _rest(message)
    if ticket is None:
        return
    if not body:
        await _say(message, context, "usage", command="/note T-000123 …")
        return
    part = DraftPart(kind="text", body=body, chat_id=message.chat_id, message_id=message.message_id)
    async with context.bot_data.storage.transaction() as repos:
        await staff_side.note(repos, ticket, user.id, part)
    await _say(message, context, "noted", ticket.id, number=ticket.number)


async def tickets_command(update: Update, context: Context) -> None:
    """/tickets: a merchant's own tickets in private; /tickets open|mine|escalated for staff."""
    chat = update.effective_chat
    args = [a.lower() for a in context.args or []]
    if chat is not None and chat.type == "private" and not (args and args[0] in LISTINGS):
        await tickets_for_merchant(update, context)
        return
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    which = next((w for w in LISTINGS if args and args[0] == w), "open")
    data, locale = context.bot_data, staff_locale(context.bot_data)
    now = utcnow()
    async with data.storage.transaction() as repos:
        tickets = await repos.tickets.listing(which, user.id)
        names = {t.merchant_id: await repos.users.get(t.merchant_id) for t in tickets}
        staff = {
            t.assignee_id: await repos.users.get(t.assignee_id) for t in tickets if t.assignee_id
        }
    rows = [
        {
            "number": t.number,
            "status": support_label(data, locale, f"status_{t.status}"),
            "tier": support_label(data, locale, f"tier_{t.tier}"),
            "urgent": t.priority == "urgent",
            "name": names[t.merchant_id].first_name if names.get(t.merchant_id) else "",
            "assignee": staff[t.assignee_id].first_name
            if t.assignee_id and staff.get(t.assignee_id)
            else None,
            "subject": t.subject[:40],
            "waited": (now - t.waiting_since).total_seconds() if t.waiting_since else None,
            "undeliverable": t.undeliverable_at is not None,
            "created_at": clock(data, t.created_at),
        }
        for t in tickets
    ]
    title = support_label(data, locale, f"listing_{which}")
    await message.reply_text(
        data.renderer.render(locale, "support/list", title=title, tickets=rows),
        parse_mode=ParseMode.HTML,
    )
