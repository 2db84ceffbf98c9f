"""Support tickets as transactions: each change, its audit event and the messages it causes
are written together in the caller's transaction (the outbox sender delivers them), so a
crash can neither lose nor duplicate a reply, a reminder or an escalation.

Every function takes the open Repositories and support's Policy (its settings, read once) and
returns whether (or how) it acted; none renders or sends anything itself: bot/support/relay.py
queues the messages as ids and plain values.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.support.follow_up import Outcome, Sender, Taken, onto_ticket
from bot.support.kinds import TICKET_CARD
from bot.support.relay import copy_to_staff, merchant_name, to_merchant, to_staff
from bot.support.rules import CLOSABLE, DRAFT_TTL, RATING_BUTTONS, Policy, Status, minutes
from storage import Repositories
from storage.db import utcnow
from storage.tickets import DraftPart, Ticket

if TYPE_CHECKING:
    from faq.retrieval import FaqIndex

log = logging.getLogger(__name__)

# --- merchant side -------------------------------------------------------------------------

# What the handlers read of service results (defined with the follow-ups that produce them).
__all__ = ["Outcome", "Sender", "Taken"]


async def create(repos: Repositories, policy: Policy, merchant_id: int) -> Ticket | None:
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
        staff_chat_id=policy.support_chat_id,
    )
    for part in draft.parts:
        await repos.tickets.add_part(ticket.id, part, author_id=merchant_id, direction="merchant")
    await repos.ticket_drafts.drop_draft(merchant_id)
    # The card shows the description: follow-ups are what comes after it.
    upto = await repos.tickets.last_message_id(ticket.id)
    await repos.tickets.note_fields(ticket.id, relayed_upto=upto)
    if policy.support_chat_id is not None:
        await repos.outbox.put(policy.support_chat_id, TICKET_CARD, {"ticket_id": ticket.id})
    name = await merchant_name(repos, ticket)
    for part in draft.parts:
        if part.kind != "text":
            await copy_to_staff(repos, policy, ticket, part, name)
    target = minutes(policy.targets[ticket.priority])
    await to_merchant(repos, ticket, "support/created", minutes=target)
    log.info("ticket %s opened by %s", ticket.number, merchant_id)
    return ticket


async def routable(repos: Repositories, policy: Policy, merchant_id: int) -> list[Ticket]:
    """The tickets a merchant's message can go to (active, or resolved within the window)."""
    return await repos.tickets.routable(merchant_id, utcnow() - policy.reopen_window)


async def take_message(
    repos: Repositories,
    policy: Policy,
    faq: FaqIndex,
    sender: Sender,
    part: DraftPart | None,
    focus: int | None,
) -> Taken:
    """A merchant's private message: added to the description they are writing, else onto the
    ticket it is for (the only routable one, or `focus`, their last choice among several)."""
    now = utcnow()
    draft, tickets = await repos.ticket_drafts.incoming(
        sender.id,
        part,
        stale_before=now - DRAFT_TTL,
        resolved_after=now - policy.reopen_window,
    )
    if draft is not None:
        return Taken("described" if part else "unsupported", draft=draft)
    if not tickets or part is None:
        return Taken("not_support")
    if (
        part.kind == "text"
        and all(t.status == Status.RESOLVED and not t.comment_wanted for t in tickets)
        and _plain_question(faq, part.body, sender.locale, tickets)
    ):
        # A plain FAQ question after a resolved ticket is answered, not taken as a reopen.
        return Taken("not_support")
    chosen = tickets[0] if len(tickets) == 1 else next((t for t in tickets if t.id == focus), None)
    if chosen is None:
        return Taken("pick", tickets=tickets)
    return await onto_ticket(repos, policy, sender, chosen, part)


def _plain_question(faq: FaqIndex, text: str, locale: str, tickets: list[Ticket]) -> bool:
    """An FAQ question on another subject than the tickets': "换了纸还是打印不出来" after a
    ticket about printing is the same problem coming back, even though the FAQ can answer it."""
    answer = faq.ask(text, locale).entry
    if answer is None:
        return False
    return all(
        (best := faq.ask(t.subject, locale).best) is None or best.id != answer.id for t in tickets
    )


async def to_ticket(
    repos: Repositories, policy: Policy, sender: Sender, ticket_id: int, part: DraftPart
) -> Taken:
    """A merchant's message onto the ticket they picked for it (stale if not theirs)."""
    ticket = await repos.tickets.get(ticket_id)
    if ticket is None or ticket.merchant_id != sender.id:
        return Taken("stale")
    return await onto_ticket(repos, policy, sender, ticket, part)


async def close_by_merchant(repos: Repositories, policy: Policy, ticket: Ticket) -> bool:
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
        closed = "support/closed_by_merchant"
        await to_staff(repos, policy, ticket, closed, name=name, kind="notice")
    return done


async def rate(repos: Repositories, policy: Policy, ticket: Ticket, stars: int) -> bool:
    """The merchant's 1-5 rating of a resolved ticket; the next text may be a comment."""
    if ticket.status != Status.RESOLVED or not 1 <= stars <= RATING_BUTTONS:
        return False
    await repos.tickets.note_fields(ticket.id, rating=stars, comment_wanted=1)
    await repos.tickets.add_event(
        ticket.id, ticket.merchant_id, "rate", ticket.status, ticket.status, note=str(stars)
    )
    name = await merchant_name(repos, ticket)
    await to_staff(repos, policy, ticket, "support/rating", name=name, rating=stars, comment=None)
    return True
