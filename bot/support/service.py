"""Support tickets as transactions: each change, its audit event and the messages it causes
are written together in the caller's transaction (the outbox sender delivers them), so a
crash can neither lose nor duplicate a reply, a reminder or an escalation.

Every function takes the open Repositories and returns whether (or how) it acted; none
sends anything itself. Merchant-bound messages carry `ticket_id` in their outbox payload, so
the sender can tell staff when one bounces (see `undeliverable`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from bot import notify
from bot.data import BotData
from bot.masking import mask_text
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
from storage.tickets import DraftPart, Ticket, TicketDraft

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
    **values: object,
) -> None:
    """Queue a message to the ticket's merchant, in their language."""
    locale = await notify.locale_of_user(repos, data, ticket.merchant_id)
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
    draft = await repos.tickets.draft(merchant_id)
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
    await repos.tickets.drop_draft(merchant_id)
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


@dataclass
class Incoming:
    """Where a merchant's private message went: into the description being written (`draft`,
    with the message added), or to none of it, leaving the tickets it may go to (`tickets`)."""

    draft: TicketDraft | None
    tickets: list[Ticket]


async def incoming(
    repos: Repositories, data: BotData, merchant_id: int, part: DraftPart | None
) -> Incoming:
    """A merchant's private message: added to the description they are writing (one left
    alone for longer than DRAFT_TTL is dropped first), else the tickets it could go to."""
    draft = await repos.tickets.draft(merchant_id)
    if draft is not None and utcnow() - draft.updated_at > DRAFT_TTL:
        await repos.tickets.drop_draft(merchant_id)
        draft = None
    if draft is None:
        since = utcnow() - reopen_window(data.settings)
        return Incoming(None, await repos.tickets.routable(merchant_id, since))
    if part is not None:
        await repos.tickets.add_draft_part(merchant_id, part)
        draft = await repos.tickets.draft(merchant_id)
    return Incoming(draft, [])


# added: just a message; answered: a pending ticket is back with staff; reopened: a resolved
# one is; comment: the comment on a rating.
Relay = Literal["added", "answered", "reopened", "comment"]


async def from_merchant(
    repos: Repositories, data: BotData, ticket: Ticket, part: DraftPart
) -> Relay:
    """A merchant's message on a ticket: reopen or wake it if needed, relay it to staff."""
    now = utcnow()
    if ticket.status == Status.RESOLVED and ticket.comment_wanted and part.kind == "text":
        comment = mask_text(part.body[:500])
        await repos.tickets.note_fields(ticket.id, rating_comment=comment, comment_wanted=0)
        await repos.tickets.add_event(
            ticket.id, ticket.merchant_id, "comment", ticket.status, ticket.status
        )
        await to_staff(
            repos,
            data,
            ticket,
            "support/rating",
            name=await merchant_name(repos, ticket),
            rating=ticket.rating,
            comment=comment,
        )
        return "comment"
    outcome: Relay = "added"
    back_to = Status.OPEN if ticket.assignee_id else Status.NEW
    if ticket.status in (Status.RESOLVED, Status.PENDING):
        reopened = ticket.status == Status.RESOLVED
        await repos.tickets.transition(
            ticket,
            back_to,
            actor=ticket.merchant_id,
            action="reopen" if reopened else "answer",
            allowed_from=(ticket.status,),
            waiting_since=now,
            sla_round=ticket.sla_round + 1,
            resolved_at=None,
            comment_wanted=0,
        )
        outcome = "reopened" if reopened else "answered"
    if ticket.undeliverable_at is not None:
        await repos.tickets.note_fields(ticket.id, undeliverable_at=None)  # they unblocked us
    await repos.tickets.add_message(
        ticket.id,
        author_id=ticket.merchant_id,
        direction="merchant",
        kind=part.kind,
        body=part.body,
        chat_id=part.chat_id,
        message_id=part.message_id,
        file_name=part.file_name,
    )
    # Combined with the merchant's other follow-ups into one staff message (support_batch).
    await queue_relay(repos, data, ticket, reopened=outcome == "reopened")
    if outcome == "reopened":
        await to_merchant(repos, data, ticket, "support/reopened")
    elif ticket.relay_noted_at is None:
        await to_merchant(repos, data, ticket, "support/relayed")
    if ticket.relay_noted_at is None:
        await repos.tickets.note_fields(ticket.id, relay_noted_at=now)
    return outcome


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
