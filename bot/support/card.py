"""A ticket's card in the staff chats, as facts: what the card shows, read in one place in the
caller's transaction (the merchant, their shops or application, the FAQ questions they asked,
the ticket's latest messages and who wrote them, the first-response due time, where the card
is posted), so handlers/support_views.py draws it with one render of bot/support/texts.py's
`card_view`. Only records and plain values here; no text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.notify import locale_of_user
from bot.settings import Locale
from bot.support.rules import VIEW_MESSAGES, Policy
from storage import Repositories
from storage.applications import ApplicationRecord
from storage.merchants import Merchant
from storage.models import User
from storage.tickets import Ticket, TicketMessage


@dataclass(frozen=True)
class TicketCard:
    """Everything a ticket's card shows, and where it is posted."""

    ticket: Ticket
    merchant: User | None  # the merchant's Telegram name and username, if known
    merchant_locale: Locale  # the language the bot speaks with them: staff answer in it
    shops: list[Merchant]  # their merchant numbers, once approved
    application: ApplicationRecord | None  # else their latest application
    recent: list[str]  # FAQ questions they asked lately
    attached: str | None  # the FAQ question the ticket was opened from
    messages: list[TicketMessage]  # the latest ones
    names: dict[int, str]  # first names of the authors and the assignee
    due: datetime | None  # the first response is due by then
    posted: list[tuple[int, int]]  # (chat id, message id) of every card already posted


async def ticket_card(repos: Repositories, policy: Policy, ticket: Ticket) -> TicketCard:
    """The card's facts for `ticket`."""
    merchant_id = ticket.merchant_id
    attached = await repos.faq.get(ticket.faq_question_id) if ticket.faq_question_id else None
    messages = await repos.tickets.messages(ticket.id, last=VIEW_MESSAGES)
    target = policy.targets[ticket.priority]
    return TicketCard(
        ticket=ticket,
        merchant=await repos.users.get(merchant_id),
        merchant_locale=await locale_of_user(repos, merchant_id, policy.default_locale),
        shops=await repos.merchants.by_telegram(merchant_id),
        application=await repos.applications.latest_of(merchant_id),
        recent=[q.question for q in await repos.faq.recent_of(merchant_id) if q.question],
        attached=attached.question if attached else None,
        messages=messages,
        names=await first_names(repos, {m.author_id for m in messages} | {ticket.assignee_id}),
        due=ticket.waiting_since + target if ticket.waiting_since else None,
        posted=await repos.tickets.staff_messages(ticket.id, "card"),
    )


async def first_names(repos: Repositories, ids: set[int | None]) -> dict[int, str]:
    """First names of these users (their id when they have none), as staff know them."""
    found = {}
    for user_id in ids - {None}:
        assert user_id is not None
        user = await repos.users.get(user_id)
        found[user_id] = user.first_name if user and user.first_name else str(user_id)
    return found
