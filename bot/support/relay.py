"""What support queues for Telegram: messages to a ticket's merchant and staff chats, the
merchant's follow-ups in batches, copies of photos and documents. Each is queued as ids and
plain values in the caller's transaction and drawn when it is sent (handlers/senders.py), so
no service renders a text.

Follow-ups reach staff combined, so no one can crowd others out. A support group takes
Telegram's 20 messages a minute, in order: one staff message per follow-up would let one
merchant's flood hold up every other merchant's new ticket card. So a follow-up queues at most
one pending batch per ticket: at once after a quiet spell, else SUPPORT_BATCH_SECONDS after
the previous batch went out, and until then the batch does not hold up other messages to the
group. It is rendered when it is sent (handlers/support_batch.py), from the ticket's stored
messages newer than the last one staff saw; follow-ups that arrive meanwhile join it (its
dedupe key names that last message) or, once it is on its way, the next one. Photos and
documents are named in the text and copied right after it.
"""

from __future__ import annotations

from datetime import datetime

from bot import notify
from bot.masking import mask_text
from bot.settings import Locale
from bot.support.kinds import COPY, TICKET_BATCH, TICKET_POST
from bot.support.rules import Policy
from bot.support.texts import LABELS, Buttons
from storage import Repositories
from storage.db import utcnow
from storage.tickets import DraftPart, Ticket, TicketMessage


async def to_merchant(
    repos: Repositories,
    ticket: Ticket,
    template: str,
    *,
    buttons: Buttons | None = None,
    locale: Locale | None = None,
    **values: object,
) -> None:
    """Queue a message to the ticket's merchant, in `locale` (else their language when sent).
    It carries `ticket_id`, so the sender can tell staff when it bounces."""
    payload = notify.template(
        template, buttons=buttons, labels=LABELS, locale=locale, number=ticket.number, **values
    )
    await repos.outbox.put(ticket.merchant_id, notify.TEMPLATE, {**payload, "ticket_id": ticket.id})


async def to_staff(
    repos: Repositories,
    policy: Policy,
    ticket: Ticket,
    template: str,
    *,
    chat_id: int | None = None,
    kind: str = "message",
    dedupe: str | None = None,
    **values: object,
) -> None:
    """Queue a ticket's message to its staff chat; a reply to it answers the ticket."""
    target = chat_id or ticket.staff_chat_id or policy.support_chat_id
    if target is None:
        return
    payload = {
        "ticket_id": ticket.id,
        "template": template,
        "values": {"number": ticket.number, **values},
        "map": kind,
    }
    await repos.outbox.put(target, TICKET_POST, payload, dedupe_key=dedupe)


async def merchant_name(repos: Repositories, ticket: Ticket) -> str:
    """The merchant's Telegram first name, as staff know them."""
    user = await repos.users.get(ticket.merchant_id)
    return user.first_name if user else str(ticket.merchant_id)


async def queue_relay(
    repos: Repositories, policy: Policy, ticket: Ticket, *, reopened: bool = False
) -> None:
    """Make sure a batch is on its way to staff for the merchant's newest messages."""
    chat_id = ticket.staff_chat_id or policy.support_chat_id
    if chat_id is not None:
        await queue_batch(
            repos, policy, ticket.id, chat_id, ticket.relayed_upto, ticket.relayed_at, reopened
        )


async def queue_batch(
    repos: Repositories,
    policy: Policy,
    ticket_id: int,
    chat_id: int,
    upto: int,
    last_at: datetime | None,
    reopened: bool = False,
) -> None:
    """Queue (or join) the pending batch of a ticket's follow-ups for chat_id."""
    due = last_at + policy.batch_window if last_at is not None else None
    await repos.outbox.put(
        chat_id,
        TICKET_BATCH,
        {"ticket_id": ticket_id, "reopened": reopened},
        dedupe_key=f"tk-batch:{ticket_id}:{upto}",
        not_before=due if due is not None and due > utcnow() else None,
    )


async def copy_to_staff(
    repos: Repositories,
    policy: Policy,
    ticket: Ticket,
    part: DraftPart | TicketMessage,
    name: str,
    chat_id: int | None = None,
    *,
    reopened: bool = False,
) -> None:
    """Queue a copy of a photo or document for a staff chat, captioned with the ticket (the
    caption, support/staff_relay, is rendered when it is sent)."""
    target = chat_id or ticket.staff_chat_id or policy.support_chat_id
    if target is None:
        return
    payload = {
        "from_chat_id": part.chat_id,
        "message_id": part.message_id,
        "staff_caption": {
            "number": ticket.number,
            "name": name,
            "body": mask_text(part.body),
            "reopened": reopened,
        },
        "ticket_id": ticket.id,
    }
    await repos.outbox.put(target, COPY, payload)
