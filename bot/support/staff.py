"""Support tickets, the staff side: replies, notes, take / pending / resolve, escalation.

Like service.py, every function takes the open Repositories and support's Policy, changes the
ticket, audits it and queues the messages it causes as kinds and plain values (relay.py), drawn
in the reader's language when sent; none renders or sends anything itself.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from bot.support.kinds import COPY, TICKET_CARD, TICKET_POST
from bot.support.relay import copy_to_staff, to_merchant
from bot.support.rules import (
    ACTIVE,
    RATING_BUTTONS,
    Policy,
    Status,
    Tier,
    minutes,
    next_tier,
)
from storage import Repositories
from storage.db import utcnow
from storage.tickets import DraftPart, Ticket

log = logging.getLogger(__name__)


async def from_staff(
    repos: Repositories,
    policy: Policy,
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
    await repos.tickets.add_part(ticket.id, part, author_id=staff_id, direction="staff")
    staff = await repos.users.get(staff_id)
    shown = staff.first_name if staff and policy.show_staff_names else None
    if part.kind == "text":
        await to_merchant(repos, ticket, "support/staff_reply", staff=shown, body=part.body)
        return True
    # The caption (support/staff_caption) is drawn when sent, in the merchant's language.
    payload = {
        "from_chat_id": part.chat_id,
        "message_id": part.message_id,
        "merchant_caption": {"number": ticket.number, "staff": shown, "body": part.body},
        "ticket_id": ticket.id,
    }
    await repos.outbox.put(ticket.merchant_id, COPY, payload)
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


async def take(repos: Repositories, policy: Policy, ticket: Ticket, staff_id: int) -> bool:
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
        await to_merchant(repos, ticket, "support/taken")
    return done


async def pending(repos: Repositories, policy: Policy, ticket: Ticket, staff_id: int) -> bool:
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
        await to_merchant(repos, ticket, "support/pending")
    return done


async def resolve(repos: Repositories, policy: Policy, ticket: Ticket, staff_id: int) -> bool:
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
        days = f"{policy.reopen_days:g}"
        await to_merchant(repos, ticket, "support/resolved", buttons=[stars], days=days)
    return done


Escalation = Literal["ok", "top", "state"]


async def escalate(
    repos: Repositories,
    policy: Policy,
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
    chat_id = policy.escalation_chat_id
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
        # The history (support/history) is drawn when sent, as far as it goes now.
        history = {
            "tier": tier.value,
            "reason": reason,
            "actor": actor,
            "events": len(await repos.tickets.events(ticket.id)),
            "upto": await repos.tickets.last_message_id(ticket.id),
        }
        payload = {"ticket_id": ticket.id, "history": history, "map": "notice"}
        await repos.outbox.put(chat_id, TICKET_POST, payload)
        if chat_id != old_chat:  # people there have not seen the photos and documents yet
            for message in await repos.tickets.messages(ticket.id):
                if message.kind != "text" and message.direction != "note":
                    author = await repos.users.get(message.author_id or 0)
                    name = author.first_name if author else ""
                    await copy_to_staff(repos, policy, ticket, message, name, chat_id)
        await repos.outbox.put(chat_id, TICKET_CARD, {"ticket_id": ticket.id})
    target = minutes(policy.targets[ticket.priority])
    await to_merchant(repos, ticket, "support/escalated", minutes=target)
    log.info("ticket %s escalated %s -> %s by %s", ticket.number, old, tier, actor or "SLA")
    return "ok"
