"""Support tickets as transactions: each change, its audit event and the messages it causes
are written together in the caller's transaction (the outbox sender delivers them), so a
crash can neither lose nor duplicate a reply, a reminder or an escalation.

Every function takes the open Repositories and returns whether (or how) it acted; none
sends anything itself. Merchant-bound messages carry `ticket_id` in their outbox payload, so
the sender can tell staff when one bounces (see `undeliverable`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from bot import notify
from bot.data import BotData
from bot.masking import mask_text
from bot.settings import Locale
from bot.support.kinds import TICKET_CARD, TICKET_POST
from bot.support.relay import copy_to_staff, queue_relay
from bot.support.rules import (
    CLOSABLE,
    DRAFT_TTL,
    Status,
    minutes,
    reopen_window,
    response_target,
)
from bot.support.texts import Buttons, button_rows, staff_locale
from storage import Repositories
from storage.db import utcnow
from storage.ticket_drafts import TicketDraft
from storage.tickets import DraftPart, Ticket

log = logging.getLogger(__name__)

RATING_BUTTONS = 5


# --- queuing -------------------------------------------------------------------------------


async def to_merchant(
    repos: Repositories,
    data: BotData,
    ticket: Ticket,
    template: str,
    *,
    buttons: Buttons | None = None,
    locale: Locale | None = None,
    **values: object,
) -> None:
    """Queue a message to the ticket's merchant, in their language (looked up if not given)."""
    locale = locale or await notify.locale_of_user(repos, data, ticket.merchant_id)
    text = data.renderer.render(locale, template, number=ticket.number, **values)
    payload = {
        "text": text,
        "buttons": button_rows(data, locale, buttons or []),
        "ticket_id": ticket.id,
    }
    await repos.outbox.put(ticket.merchant_id, notify.TEXT, payload)


async def to_staff(
    repos: Repositories,
    data: BotData,
    ticket: Ticket,
    template: str,
    *,
    chat_id: int | None = None,
    kind: str = "message",
    dedupe: str | None = None,
    **values: object,
) -> None:
    """Queue a ticket's message to its staff chat; a reply to it answers the ticket."""
    target = chat_id or ticket.staff_chat_id or data.settings.support_chat_id
    if target is None:
        return
    text = data.renderer.render(staff_locale(data), template, number=ticket.number, **values)
    payload = {"ticket_id": ticket.id, "text": text, "map": kind}
    await repos.outbox.put(target, TICKET_POST, payload, dedupe_key=dedupe)


async def merchant_name(repos: Repositories, ticket: Ticket) -> str:
    """The merchant's Telegram first name, as staff know them."""
    user = await repos.users.get(ticket.merchant_id)
    return user.first_name if user else str(ticket.merchant_id)


# --- merchant side -------------------------------------------------------------------------


async def create(repos: Repositories, data: BotData, merchant_id: int) -> Ticket | None:
    """Turn the merchant's description into ticket T-…; None if there is nothing to send."""
    draft = await repos.ticket_drafts.draft(merchant_id)
    if draft is None or not draft.parts:
        return None
    texts = [p.body for p in draft.parts if p.body]
    subject = texts[0] if texts else draft.parts[0].file_name or ""
    ticket = await repos.tickets.create(
        merchant_id,
        subject=subject,
        faq_question_id=draft.faq_question_id,
        staff_chat_id=data.settings.support_chat_id,
    )
    for part in draft.parts:
        await repos.tickets.add_message(
            ticket.id,
            author_id=merchant_id,
            direction="merchant",
            kind=part.kind,
            body=part.body,
            chat_id=part.chat_id,
            message_id=part.message_id,
            file_name=part.file_name,
        )
    await repos.ticket_drafts.drop_draft(merchant_id)
    # The card shows the description: follow-ups are what comes after it.
    upto = await repos.tickets.last_message_id(ticket.id)
    await repos.tickets.note_fields(ticket.id, relayed_upto=upto)
    if data.settings.support_chat_id is not None:
        await repos.outbox.put(data.settings.support_chat_id, TICKET_CARD, {"ticket_id": ticket.id})
    name = await merchant_name(repos, ticket)
    for part in draft.parts:
        if part.kind != "text":
            await copy_to_staff(repos, data, ticket, part, name)
    target = minutes(response_target(data.settings, ticket.priority))
    await to_merchant(repos, data, ticket, "support/created", minutes=target)
    log.info("ticket %s opened by %s", ticket.number, merchant_id)
    return ticket


async def routable(repos: Repositories, data: BotData, merchant_id: int) -> list[Ticket]:
    """The tickets a merchant's message can go to (active, or resolved within the window)."""
    return await repos.tickets.routable(merchant_id, utcnow() - reopen_window(data.settings))


# What became of a merchant's private message. not_support: none of support's business (the
# FAQ may answer it); described / unsupported: added to the description being written (or
# a sticker, voice note and such that cannot be); pick: several tickets could take it;
# stale: not their ticket (any more). The rest went onto a ticket: added as a message;
# answered: a pending ticket is back with staff; reopened: a resolved one is; comment: the
# comment on a rating.
Outcome = Literal[
    "not_support", "described", "unsupported", "pick", "stale", "added", "answered", "reopened",
    "comment",
]  # fmt: skip


@dataclass(frozen=True)
class Taken:
    """What a merchant's message did, for the handler to show."""

    outcome: Outcome
    draft: TicketDraft | None = None  # described: the description so far
    tickets: list[Ticket] = field(default_factory=list)  # pick: the tickets to choose from
    ticket: Ticket | None = None  # the ticket it went onto


@dataclass(frozen=True)
class Sender:
    """The merchant writing, as the update names them (their language, their first name)."""

    id: int
    locale: Locale
    name: str


async def take_message(
    repos: Repositories, data: BotData, sender: Sender, part: DraftPart | None, focus: int | None
) -> Taken:
    """A merchant's private message: added to the description they are writing, else onto the
    ticket it is for (the only routable one, or `focus`, their last choice among several)."""
    now = utcnow()
    draft, tickets = await repos.ticket_drafts.incoming(
        sender.id,
        part,
        stale_before=now - DRAFT_TTL,
        resolved_after=now - reopen_window(data.settings),
    )
    if draft is not None:
        return Taken("described" if part else "unsupported", draft=draft)
    if not tickets or part is None:
        return Taken("not_support")
    if (
        part.kind == "text"
        and all(t.status == Status.RESOLVED and not t.comment_wanted for t in tickets)
        and data.faq.ask(part.body, sender.locale).entry is not None
    ):
        # A plain FAQ question after a resolved ticket is answered, not taken as a reopen.
        return Taken("not_support")
    chosen = tickets[0] if len(tickets) == 1 else next((t for t in tickets if t.id == focus), None)
    if chosen is None:
        return Taken("pick", tickets=tickets)
    return await _onto_ticket(repos, data, sender, chosen, part)


async def to_ticket(
    repos: Repositories, data: BotData, sender: Sender, ticket_id: int, part: DraftPart
) -> Taken:
    """A merchant's message onto the ticket they picked for it (stale if not theirs)."""
    ticket = await repos.tickets.get(ticket_id)
    if ticket is None or ticket.merchant_id != sender.id:
        return Taken("stale")
    return await _onto_ticket(repos, data, sender, ticket, part)


async def _onto_ticket(
    repos: Repositories, data: BotData, sender: Sender, ticket: Ticket, part: DraftPart
) -> Taken:
    """Reopen or wake the ticket if needed and relay the message to staff."""
    if ticket.status == Status.RESOLVED and ticket.comment_wanted and part.kind == "text":
        comment = mask_text(part.body[:500])
        await repos.tickets.comment_on_rating(ticket, comment)
        await to_staff(
            repos,
            data,
            ticket,
            "support/rating",
            name=sender.name,
            rating=ticket.rating,
            comment=comment,
        )
        return Taken("comment", ticket=ticket)
    outcome: Outcome = "added"
    if ticket.status in (Status.RESOLVED, Status.PENDING):
        outcome = "reopened" if ticket.status == Status.RESOLVED else "answered"
    # The merchant hears back once per ticket that their messages reach staff, and on a reopen.
    notice = "support/reopened" if outcome == "reopened" else None
    if notice is None and ticket.relay_noted_at is None:
        notice = "support/relayed"
    await repos.tickets.follow_up(
        ticket,
        part,
        back_to=None if outcome == "added" else _back_to(ticket),
        action="reopen" if outcome == "reopened" else "answer",
    )
    # Combined with the merchant's other follow-ups into one staff message (support_batch).
    await queue_relay(repos, data, ticket, reopened=outcome == "reopened")
    if notice is not None:
        await to_merchant(repos, data, ticket, notice, locale=sender.locale)
    return Taken(outcome, ticket=ticket)


def _back_to(ticket: Ticket) -> Status:
    """Where a ticket waiting on the merchant goes when they write: to its assignee, if any."""
    return Status.OPEN if ticket.assignee_id else Status.NEW


async def close_by_merchant(repos: Repositories, data: BotData, ticket: Ticket) -> bool:
    """The merchant closes their own ticket; staff are told."""
    done = await repos.tickets.transition(
        ticket,
        Status.CLOSED,
        actor=ticket.merchant_id,
        action="close",
        allowed_from=CLOSABLE,
        closed_at=utcnow(),
        waiting_since=None,
        comment_wanted=0,
    )
    if done:
        name = await merchant_name(repos, ticket)
        await to_staff(repos, data, ticket, "support/closed_by_merchant", name=name, kind="notice")
    return done


async def rate(repos: Repositories, data: BotData, ticket: Ticket, stars: int) -> bool:
    """The merchant's 1-5 rating of a resolved ticket; the next text may be a comment."""
    if ticket.status != Status.RESOLVED or not 1 <= stars <= RATING_BUTTONS:
        return False
    await repos.tickets.note_fields(ticket.id, rating=stars, comment_wanted=1)
    await repos.tickets.add_event(
        ticket.id, ticket.merchant_id, "rate", ticket.status, ticket.status, note=str(stars)
    )
    name = await merchant_name(repos, ticket)
    await to_staff(repos, data, ticket, "support/rating", name=name, rating=stars, comment=None)
    return True
