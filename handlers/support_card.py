"""The buttons on a ticket's card in a staff chat: Take, Reply, Resolve, Escalate.

Each does the whole action, or asks for what is missing: Reply and Escalate post a prompt
with a forced reply, and the answer to it goes to the merchant (Reply) or becomes the
escalation's reason (Escalate), through handlers.support_staff.on_group_reply.
"""

from __future__ import annotations

from telegram import ForceReply, Message, Update, User
from telegram.constants import ParseMode

from bot.context import Context
from bot.parsing import strict_int
from bot.support import staff as staff_side
from bot.support.rules import Policy
from bot.support.texts import staff_locale, staff_text, support_label
from handlers.common import label, locale_of
from handlers.staff import require_role
from handlers.support_staff import ESCALATE_PROMPT
from handlers.support_views import refresh_cards

ACTIONS = ("take", "reply", "resolve", "escalate")


async def on_card_button(update: Update, context: Context) -> None:
    """ts:<ticket id>:<action> — a ticket card's button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, raw_id, action = [*query.data.split(":"), "", ""][:3]
    ticket_id = strict_int(raw_id)
    if ticket_id is None or action not in ACTIONS or not isinstance(query.message, Message):
        await query.answer(label(context, "stale_button"), show_alert=True)
        return
    if not await require_role(update, context.bot_data, locale_of(context), "support"):
        return
    data = context.bot_data
    async with data.storage.transaction() as repos:
        ticket = await repos.tickets.get(ticket_id)
    if ticket is None:
        await query.answer(label(context, "stale_button"), show_alert=True)
        return
    if action in ("reply", "escalate"):
        await query.answer()
        await _prompt(query.message, context, ticket.id, ticket.number, action, query.from_user)
        return
    change = staff_side.take if action == "take" else staff_side.resolve
    async with data.storage.transaction() as repos:
        if not await repos.updates.claim(update.update_id):
            return
        done = await change(repos, Policy.of(data.settings), ticket, query.from_user.id)
    if not done:
        status = support_label(data, staff_locale(data), f"status_{ticket.status}")
        await query.answer(
            staff_text(data, "state", number=ticket.number, status=status), show_alert=True
        )
        await refresh_cards(context.bot, data, ticket.id)  # the card may be out of date
        return
    await query.answer(
        staff_text(data, action, number=ticket.number, name=query.from_user.first_name)
    )
    data.kick_outbox()
    await refresh_cards(context.bot, data, ticket.id)


async def _prompt(
    card: Message, context: Context, ticket_id: int, number: str, action: str, who: User
) -> None:
    """Ask for the reply or the reason with a forced reply, and tie the prompt to the ticket."""
    data = context.bot_data
    prompt = await card.reply_text(
        staff_text(data, f"{action}_prompt", number=number, user_id=who.id, name=who.first_name),
        parse_mode=ParseMode.HTML,
        # selective: only the staff member named in the prompt gets the reply field opened.
        reply_markup=ForceReply(selective=True),
        do_quote=True,
    )
    kind = ESCALATE_PROMPT if action == "escalate" else "ack"
    async with data.storage.transaction() as repos:
        await repos.tickets.remember_staff_message(
            prompt.chat_id, prompt.message_id, ticket_id, kind
        )
