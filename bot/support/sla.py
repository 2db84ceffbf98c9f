"""Support tickets against the clock: the SLA round (reminders, escalations, auto-close) and
replies that could not reach their merchant. Like service.py, each function takes the open
Repositories and support's Policy and queues kinds and plain values; nothing is rendered here."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.support.relay import merchant_name, to_staff
from bot.support.rules import Policy, Status, sla_breach
from bot.support.staff import escalate
from storage import Repositories
from storage.db import utcnow
from storage.tickets import Ticket

log = logging.getLogger(__name__)


async def undeliverable(
    repos: Repositories, policy: Policy, ticket_id: int, outbox_id: int
) -> Ticket | None:
    """Mark the ticket as unreachable and queue the notice to staff (once per bounce)."""
    ticket = await repos.tickets.get(ticket_id)
    if ticket is None:
        return None
    await repos.tickets.note_fields(ticket.id, undeliverable_at=utcnow())
    await repos.tickets.add_event(ticket.id, None, "undeliverable", ticket.status, ticket.status)
    await to_staff(
        repos,
        policy,
        ticket,
        "support/undeliverable",
        kind="notice",
        dedupe=f"tk-undeliverable:{outbox_id}",
        name=await merchant_name(repos, ticket),
    )
    log.warning("ticket %s: a reply could not be delivered (bot blocked)", ticket.number)
    return ticket


async def check_sla(
    repos: Repositories, policy: Policy, *, auto_reason: str, now: datetime | None = None
) -> int:
    """Remind staff of tickets past their target, escalate those past twice it (with
    `auto_reason`, the words the audit trail keeps, as the caller drew them), close resolved
    tickets past the reopen window. Returns how many tickets it acted on."""
    now = now or utcnow()
    acted = 0
    # Reminders go where the ticket lives: the support chat, or the escalation chat after an
    # escalation (the people who owe the response are there).
    for ticket in await repos.tickets.waiting():
        target = policy.targets[ticket.priority]
        breach = sla_breach(target, ticket.waiting_since, now)
        if breach == 0 or ticket.waiting_since is None:
            continue
        acted += 1
        await to_staff(
            repos,
            policy,
            ticket,
            "support/reminder",
            kind="reminder",
            dedupe=f"tk-sla:{ticket.id}:{ticket.sla_round}",
            name=await merchant_name(repos, ticket),
            waited=(now - ticket.waiting_since).total_seconds(),
            target=target.total_seconds(),
        )
        if breach == 2:
            await escalate(
                repos, policy, ticket, None, auto_reason, sla_round=ticket.sla_round, now=now
            )
    for ticket in await repos.tickets.resolved_before(now - policy.reopen_window):
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
