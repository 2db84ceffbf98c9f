"""A merchant's message onto one of their tickets: a comment on their rating, or a follow-up
that wakes (pending) or reopens (resolved) the ticket; and what it queues (relay.py): the
batch to staff and, once per ticket or on a reopen, a word to the merchant that staff have it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.masking import mask_text
from bot.settings import Locale
from bot.support import relay
from bot.support.card import TicketCard, ticket_card
from bot.support.rules import Policy, Status
from storage import Repositories
from storage.ticket_drafts import TicketDraft
from storage.tickets import DraftPart, Ticket

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
    card: TicketCard | None = None  # answered / reopened: its card's facts, to redraw


@dataclass(frozen=True)
class Sender:
    """The merchant writing, as the update names them (their language, their first name)."""

    id: int
    locale: Locale
    name: str


async def onto_ticket(
    repos: Repositories, policy: Policy, sender: Sender, ticket: Ticket, part: DraftPart
) -> Taken:
    """Reopen or wake the ticket if needed, record the message and queue it for staff; when it
    is back with staff (answered, reopened), the card's facts as it now stands, to redraw."""
    if ticket.status == Status.RESOLVED and ticket.comment_wanted and part.kind == "text":
        comment = mask_text(part.body[:500])
        await repos.tickets.comment_on_rating(ticket, comment)
        await relay.to_staff(
            repos,
            policy,
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
    await relay.queue_relay(repos, policy, ticket, reopened=outcome == "reopened")
    if notice is not None:
        await relay.to_merchant(repos, ticket, notice, locale=sender.locale)
    if outcome == "added":
        return Taken(outcome, ticket=ticket)
    now = await repos.tickets.get(ticket.id)
    card = await ticket_card(repos, policy, now) if now else None
    return Taken(outcome, ticket=ticket, card=card)


def _back_to(ticket: Ticket) -> Status:
    """Where a ticket waiting on the merchant goes when they write: to its assignee, if any."""
    return Status.OPEN if ticket.assignee_id else Status.NEW
