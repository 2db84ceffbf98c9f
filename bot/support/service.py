"""Support tickets as transactions: each change, its audit event and the messages it causes
are written together in the caller's transaction (the outbox sender delivers them), so a
crash can neither lose nor duplicate a reply, a reminder or an escalation.

Every function takes the open Repositories and returns whether (or how) it acted; none
sends anything itself. Merchant-bound messages carry `ticket_id` in their outbox payload, so
the sender can tell staff when one bounces (see `undeliverable`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from bot import notify
from bot.context import BotData
from bot.masking import mask_text
from bot.support.kinds import TICKET_CARD, TICKET_POST
from bot.support.relay import copy_to_staff, queue_relay
from bot.support.rules import (
    ACTIVE,
    CLOSABLE,
    Status,
    Tier,
    escalation_chat,
    minutes,
    next_tier,
    reopen_window,
    response_target,
    sla_breach,
)
from bot.support.texts import Buttons, button_rows, history_text, staff_locale, staff_text
from storage import Repositories
from storage.db import utcnow
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
    await repos.outbox.put(ticket.merchant_id, "text", payload)


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


# --- staff side ----------------------------------------------------------------------------


async def from_staff(
    repos: Repositories,
    data: BotData,
    ticket: Ticket,
    staff_id: int,
    part: DraftPart,
) -> bool:
    """A staff reply: copied to the merchant; answering a new ticket takes it; stops the clock."""
    if ticket.status == Status.CLOSED:
        return False
    now = utcnow()
    if ticket.status == Status.NEW:
        await repos.tickets.transition(
            ticket,
            Status.OPEN,
            actor=staff_id,
            action="take",
            allowed_from=(Status.NEW,),
            assignee_id=staff_id,
        )
    if ticket.waiting_since is not None:
        await repos.tickets.note_fields(
            ticket.id, waiting_since=None, first_response_at=ticket.first_response_at or now
        )
    await repos.tickets.add_message(
        ticket.id,
        author_id=staff_id,
        direction="staff",
        kind=part.kind,
        body=part.body,
        chat_id=part.chat_id,
        message_id=part.message_id,
        file_name=part.file_name,
    )
    staff = await repos.users.get(staff_id)
    shown = staff.first_name if staff and data.settings.support_show_staff_names else None
    if part.kind == "text":
        await to_merchant(repos, data, ticket, "support/staff_reply", staff=shown, body=part.body)
        return True
    locale = await notify.locale_of_user(repos, data, ticket.merchant_id)
    caption = data.renderer.render(
        locale, "support/staff_caption", number=ticket.number, staff=shown, body=part.body
    )
    payload = {
        "from_chat_id": part.chat_id,
        "message_id": part.message_id,
        "caption": caption[:1000],
        "ticket_id": ticket.id,
    }
    await repos.outbox.put(ticket.merchant_id, "copy", payload)
    return True


async def note(repos: Repositories, ticket: Ticket, staff_id: int, part: DraftPart) -> None:
    """An internal note: kept on the ticket for staff, never sent to the merchant."""
    await repos.tickets.add_message(
        ticket.id,
        author_id=staff_id,
        direction="note",
        kind="text",
        body=part.body,
        chat_id=part.chat_id,
        message_id=part.message_id,
    )


async def take(repos: Repositories, data: BotData, ticket: Ticket, staff_id: int) -> bool:
    """Assign the ticket to `staff_id` (open); the merchant hears someone has it."""
    was_new = ticket.status == Status.NEW
    done = await repos.tickets.transition(
        ticket,
        Status.OPEN,
        actor=staff_id,
        action="take",
        allowed_from=ACTIVE,
        assignee_id=staff_id,
    )
    if done and was_new:
        await to_merchant(repos, data, ticket, "support/taken")
    return done


async def pending(repos: Repositories, data: BotData, ticket: Ticket, staff_id: int) -> bool:
    """Wait for the merchant (the SLA clock stops until they write)."""
    done = await repos.tickets.transition(
        ticket,
        Status.PENDING,
        actor=staff_id,
        action="pending",
        allowed_from=(Status.NEW, Status.OPEN),
        assignee_id=ticket.assignee_id or staff_id,
        waiting_since=None,
    )
    if done:
        await to_merchant(repos, data, ticket, "support/pending")
    return done


async def resolve(repos: Repositories, data: BotData, ticket: Ticket, staff_id: int) -> bool:
    """Resolved: the merchant is asked for a 1-5 rating."""
    done = await repos.tickets.transition(
        ticket,
        Status.RESOLVED,
        actor=staff_id,
        action="resolve",
        allowed_from=ACTIVE,
        resolved_at=utcnow(),
        waiting_since=None,
        rating=None,
        rating_comment=None,
        comment_wanted=0,
    )
    if done:
        stars = [(f"rate_{n}", f"tk:r:{ticket.id}:{n}") for n in range(1, RATING_BUTTONS + 1)]
        days = f"{data.settings.support_reopen_days:g}"
        await to_merchant(repos, data, ticket, "support/resolved", buttons=[stars], days=days)
    return done


Escalation = Literal["ok", "top", "state"]


async def escalate(
    repos: Repositories,
    data: BotData,
    ticket: Ticket,
    actor: int | None,
    reason: str,
    *,
    sla_round: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Raise the tier, make it urgent, post it with its history to the escalation chat.

    `actor` None is the SLA job; with `sla_round` it escalates only if the clock has not
    restarted since it looked, so one breach escalates once.
    """
    tier = next_tier(Tier(ticket.tier))
    if ticket.status not in ACTIVE:
        return "state"
    if tier is None:
        return "top"
    old, old_chat = ticket.tier, ticket.staff_chat_id
    chat_id = escalation_chat(data.settings)
    done = await repos.tickets.transition(
        ticket,
        Status.NEW,
        actor=actor,
        action="escalate" if actor else "auto_escalate",
        allowed_from=ACTIVE,
        if_round=sla_round,
        note=f"{old} → {tier}: {reason}",
        tier=tier,
        priority="urgent",
        assignee_id=None,
        staff_chat_id=chat_id,
        waiting_since=now or utcnow(),
        sla_round=ticket.sla_round + 1,
    )
    if not done:
        return "state"
    if chat_id is not None:
        text = await history_text(data, repos, ticket, reason, actor)
        payload = {"ticket_id": ticket.id, "text": text, "map": "notice"}
        await repos.outbox.put(chat_id, TICKET_POST, payload)
        if chat_id != old_chat:  # people there have not seen the photos and documents yet
            for message in await repos.tickets.messages(ticket.id):
                if message.kind != "text" and message.direction != "note":
                    author = await repos.users.get(message.author_id or 0)
                    name = author.first_name if author else ""
                    await copy_to_staff(repos, data, ticket, message, name, chat_id)
        await repos.outbox.put(chat_id, TICKET_CARD, {"ticket_id": ticket.id})
    target = minutes(response_target(data.settings, ticket.priority))
    await to_merchant(repos, data, ticket, "support/escalated", minutes=target)
    log.info("ticket %s escalated %s -> %s by %s", ticket.number, old, tier, actor or "SLA")
    return "ok"


async def undeliverable(
    repos: Repositories, data: BotData, ticket_id: int, outbox_id: int
) -> Ticket | None:
    """Mark the ticket as unreachable and queue the notice to staff (once per bounce)."""
    ticket = await repos.tickets.get(ticket_id)
    if ticket is None:
        return None
    await repos.tickets.note_fields(ticket.id, undeliverable_at=utcnow())
    await repos.tickets.add_event(ticket.id, None, "undeliverable", ticket.status, ticket.status)
    await to_staff(
        repos,
        data,
        ticket,
        "support/undeliverable",
        kind="notice",
        dedupe=f"tk-undeliverable:{outbox_id}",
        name=await merchant_name(repos, ticket),
    )
    log.warning("ticket %s: a reply could not be delivered (bot blocked)", ticket.number)
    return ticket


async def check_sla(repos: Repositories, data: BotData, now: datetime | None = None) -> int:
    """Remind staff of tickets past their target, escalate those past twice it, close resolved
    tickets past the reopen window. Returns how many tickets it acted on."""
    now = now or utcnow()
    acted = 0
    # Reminders go where the ticket lives: the support chat, or the escalation chat after an
    # escalation (the people who owe the response are there).
    for ticket in await repos.tickets.waiting():
        breach = sla_breach(data.settings, ticket.priority, ticket.waiting_since, now)
        if breach == 0 or ticket.waiting_since is None:
            continue
        acted += 1
        await to_staff(
            repos,
            data,
            ticket,
            "support/reminder",
            kind="reminder",
            dedupe=f"tk-sla:{ticket.id}:{ticket.sla_round}",
            name=await merchant_name(repos, ticket),
            waited=minutes(now - ticket.waiting_since),
            target=minutes(response_target(data.settings, ticket.priority)),
        )
        if breach == 2:
            reason = staff_text(data, "auto_reason")
            await escalate(repos, data, ticket, None, reason, sla_round=ticket.sla_round, now=now)
    for ticket in await repos.tickets.resolved_before(now - reopen_window(data.settings)):
        acted += await repos.tickets.transition(
            ticket,
            Status.CLOSED,
            actor=None,
            action="expire",
            allowed_from=(Status.RESOLVED,),
            closed_at=now,
            comment_wanted=0,
        )
    return acted
