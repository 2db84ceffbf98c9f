"""TicketRepository (over 300 lines: one aggregate; each support use case's SQL is one method):
tickets, what was said on them, their audit trail, their staff messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from bot.masking import mask_text
from bot.support.rules import ACTIVE, Status, ticket_number
from storage.db import Tx, utcnow

Direction = Literal["merchant", "staff", "note"]
MessageKind = Literal["text", "photo", "document"]
Listing = Literal["open", "mine", "escalated"]

# Columns a transition may set besides the status; anything else is a programming error.
_SETTABLE = frozenset(
    {
        "tier",
        "priority",
        "assignee_id",
        "staff_chat_id",
        "waiting_since",
        "sla_round",
        "first_response_at",
        "relay_noted_at",
        "undeliverable_at",
        "resolved_at",
        "closed_at",
        "rating",
        "rating_comment",
        "comment_wanted",
        "relayed_upto",
        "relayed_at",
    }
)
MAX_BODY = 2000
# The tickets a merchant's message may go to: active ones, and ones resolved recently.
ROUTABLE = (
    "SELECT * FROM tickets WHERE merchant_id = ? AND (status IN (?, ?, ?)"
    " OR (status = 'resolved' AND resolved_at > ?)) ORDER BY id DESC"
)


class Ticket(BaseModel):
    """A support ticket."""

    id: int
    merchant_id: int
    status: Status
    tier: str
    priority: str
    assignee_id: int | None
    staff_chat_id: int | None
    faq_question_id: int | None
    subject: str
    waiting_since: datetime | None
    sla_round: int
    first_response_at: datetime | None
    relay_noted_at: datetime | None
    undeliverable_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    rating_comment: str | None
    comment_wanted: bool
    # The merchant's messages up to this ticket_messages.id have been shown to staff (in the
    # card or a relayed batch); the last batch went out at relayed_at.
    relayed_upto: int = 0
    relayed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def number(self) -> str:
        """T-000123."""
        return ticket_number(self.id)


class TicketMessage(BaseModel):
    """One message on a ticket; `body` has personal data masked."""

    id: int
    ticket_id: int
    author_id: int | None
    direction: Direction
    kind: MessageKind
    body: str
    file_name: str | None
    chat_id: int
    message_id: int
    created_at: datetime


class TicketEvent(BaseModel):
    """One entry of the audit trail."""

    actor: int | None
    action: str
    from_status: str | None
    to_status: str
    note: str | None
    at: datetime


class DraftPart(BaseModel):
    """A message on its way to a ticket; stored (in a draft, on a ticket) with `body` masked."""

    kind: MessageKind
    body: str = ""  # text or caption
    file_name: str | None = None
    chat_id: int
    message_id: int


class TicketRepository:
    """Plain-SQL access to tickets; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # --- tickets ---------------------------------------------------------------------------

    async def create(
        self,
        merchant_id: int,
        *,
        subject: str,
        faq_question_id: int | None,
        staff_chat_id: int | None,
    ) -> Ticket:
        """A new ticket, its SLA clock running, with its 'created' audit event."""
        now = utcnow().isoformat()
        ticket_id = await self.tx.insert(
            "INSERT INTO tickets (merchant_id, subject, faq_question_id, staff_chat_id,"
            " waiting_since, sla_round, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            (merchant_id, mask_text(subject)[:200], faq_question_id, staff_chat_id, now, now, now),
        )
        await self.add_event(ticket_id, merchant_id, "create", None, Status.NEW)
        ticket = await self.get(ticket_id)
        assert ticket is not None
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        """The ticket, or None."""
        row = await self.tx.fetchone("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return Ticket.model_validate(dict(row)) if row else None

    async def of_merchant(self, merchant_id: int, limit: int = 20) -> list[Ticket]:
        """A merchant's tickets, newest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM tickets WHERE merchant_id = ? ORDER BY id DESC LIMIT ?",
            (merchant_id, limit),
        )
        return [Ticket.model_validate(dict(r)) for r in rows]

    async def routable(self, merchant_id: int, resolved_after: datetime) -> list[Ticket]:
        """Tickets a merchant's message goes to: active ones, and ones resolved recently."""
        rows = await self.tx.fetchall(ROUTABLE, (merchant_id, *ACTIVE, resolved_after.isoformat()))
        return [Ticket.model_validate(dict(r)) for r in rows]

    async def listing(self, which: Listing, staff_id: int, limit: int = 30) -> list[Ticket]:
        """Active tickets for staff: all, assigned to `staff_id`, or escalated; oldest first."""
        where = {
            "open": "",
            "mine": " AND assignee_id = ?",
            "escalated": " AND tier != 'l1'",
        }[which]
        params: tuple[Any, ...] = (*ACTIVE, staff_id) if which == "mine" else tuple(ACTIVE)
        rows = await self.tx.fetchall(
            f"SELECT * FROM tickets WHERE status IN (?, ?, ?){where} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [Ticket.model_validate(dict(r)) for r in rows]

    async def waiting(self) -> list[Ticket]:
        """Active tickets whose merchant waits for a response (the SLA clock runs)."""
        rows = await self.tx.fetchall(
            "SELECT * FROM tickets WHERE waiting_since IS NOT NULL AND status IN (?, ?, ?)"
            " ORDER BY waiting_since",
            tuple(ACTIVE),
        )
        return [Ticket.model_validate(dict(r)) for r in rows]

    async def resolved_before(self, cutoff: datetime) -> list[Ticket]:
        """Resolved tickets whose reopen window has passed."""
        rows = await self.tx.fetchall(
            "SELECT * FROM tickets WHERE status = 'resolved' AND resolved_at <= ?",
            (cutoff.isoformat(),),
        )
        return [Ticket.model_validate(dict(r)) for r in rows]

    async def transition(
        self,
        ticket: Ticket,
        to_status: Status,
        *,
        actor: int | None,
        action: str,
        allowed_from: Sequence[Status],
        note: str | None = None,
        if_round: int | None = None,
        **columns: object,
    ) -> bool:
        """Change status (and `columns`) if the ticket is still in `allowed_from`; audit it.

        The conditional UPDATE is what lets only one of two simultaneous changes through;
        with `if_round`, the change happens only if the SLA clock has not restarted since.
        """
        unknown = set(columns) - _SETTABLE
        if unknown:
            raise ValueError(f"not settable: {sorted(unknown)}")
        now = utcnow()
        values = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in columns.items()}
        sets = ", ".join(f"{k} = ?" for k in values)
        placeholders = ", ".join("?" for _ in allowed_from)
        sql = (
            f"UPDATE tickets SET status = ?, updated_at = ?{', ' if sets else ''}{sets}"
            f" WHERE id = ? AND status IN ({placeholders})"
        )
        params: list[Any] = [to_status, now.isoformat(), *values.values(), ticket.id]
        params += list(allowed_from)
        if if_round is not None:
            sql += " AND sla_round = ?"
            params.append(if_round)
        if await self.tx.execute(sql, params) != 1:
            return False
        await self.add_event(ticket.id, actor, action, ticket.status, to_status, note)
        fresh = await self.get(ticket.id)
        assert fresh is not None
        for field in Ticket.model_fields:
            setattr(ticket, field, getattr(fresh, field))
        return True

    async def note_fields(self, ticket_id: int, **columns: object) -> None:
        """Set bookkeeping columns that are not a status change (relay notice, comment)."""
        if set(columns) - _SETTABLE:
            raise ValueError(f"not settable: {sorted(set(columns) - _SETTABLE)}")
        values = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in columns.items()}
        sets = ", ".join(f"{k} = ?" for k in values)
        await self.tx.execute(
            f"UPDATE tickets SET {sets}, updated_at = ? WHERE id = ?",
            (*values.values(), utcnow().isoformat(), ticket_id),
        )

    async def follow_up(
        self, ticket: Ticket, part: DraftPart, *, back_to: Status | None, action: str
    ) -> None:
        """The merchant's message on a ticket: the ticket back to `back_to` first if it
        waited on them (audited as `action`, its SLA clock restarted), the message recorded,
        a bounce forgotten (they unblocked us) and the first follow-up noted."""
        now = utcnow()
        if back_to is not None:
            await self.transition(
                ticket,
                back_to,
                actor=ticket.merchant_id,
                action=action,
                allowed_from=(ticket.status,),
                waiting_since=now,
                sla_round=ticket.sla_round + 1,
                resolved_at=None,
                comment_wanted=0,
            )
        notes: dict[str, object] = {}
        if ticket.undeliverable_at is not None:
            notes["undeliverable_at"] = None
        if ticket.relay_noted_at is None:
            notes["relay_noted_at"] = now
        if notes:
            await self.note_fields(ticket.id, **notes)
        await self.add_message(
            ticket.id,
            author_id=ticket.merchant_id,
            direction="merchant",
            kind=part.kind,
            body=part.body,
            chat_id=part.chat_id,
            message_id=part.message_id,
            file_name=part.file_name,
        )

    async def comment_on_rating(self, ticket: Ticket, comment: str) -> None:
        """The merchant's comment on their rating (masked), audited; no more is asked."""
        await self.note_fields(ticket.id, rating_comment=comment, comment_wanted=0)
        await self.add_event(ticket.id, ticket.merchant_id, "comment", ticket.status, ticket.status)

    # --- audit trail -----------------------------------------------------------------------

    async def add_event(
        self,
        ticket_id: int,
        actor: int | None,
        action: str,
        from_status: str | None,
        to_status: str,
        note: str | None = None,
    ) -> None:
        """Append to the audit trail."""
        await self.tx.execute(
            "INSERT INTO ticket_events (ticket_id, actor, action, from_status, to_status, note,"
            " at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                actor,
                action,
                from_status,
                to_status,
                mask_text(note)[:500] if note else None,
                utcnow().isoformat(),
            ),
        )

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        """The audit trail, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT actor, action, from_status, to_status, note, at FROM ticket_events"
            " WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )
        return [TicketEvent.model_validate(dict(r)) for r in rows]

    # --- messages --------------------------------------------------------------------------

    async def add_message(
        self,
        ticket_id: int,
        *,
        author_id: int | None,
        direction: Direction,
        kind: MessageKind,
        body: str,
        chat_id: int,
        message_id: int,
        file_name: str | None = None,
    ) -> None:
        """Record a message; its text is stored with personal data masked."""
        await self.tx.execute(
            "INSERT INTO ticket_messages (ticket_id, author_id, direction, kind, body, file_name,"
            " chat_id, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                author_id,
                direction,
                kind,
                mask_text(body[:MAX_BODY]),
                mask_text(file_name) if file_name else None,
                chat_id,
                message_id,
                utcnow().isoformat(),
            ),
        )

    async def merchant_messages_after(
        self, ticket_id: int, after_id: int, limit: int = 100
    ) -> list[TicketMessage]:
        """The merchant's messages on the ticket newer than `after_id`, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM ticket_messages WHERE ticket_id = ? AND id > ?"
            " AND direction = 'merchant' ORDER BY id LIMIT ?",
            (ticket_id, after_id, limit),
        )
        return [TicketMessage.model_validate(dict(r)) for r in rows]

    async def last_message_id(self, ticket_id: int) -> int:
        """The id of the ticket's newest message (0 if none)."""
        row = await self.tx.fetchone(
            "SELECT COALESCE(MAX(id), 0) AS id FROM ticket_messages WHERE ticket_id = ?",
            (ticket_id,),
        )
        return int(row["id"]) if row else 0

    async def messages(self, ticket_id: int, last: int | None = None) -> list[TicketMessage]:
        """The ticket's messages in order (only the `last` ones if given)."""
        if last is None:
            rows = await self.tx.fetchall(
                "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,)
            )
        else:
            rows = await self.tx.fetchall(
                "SELECT * FROM (SELECT * FROM ticket_messages WHERE ticket_id = ?"
                " ORDER BY id DESC LIMIT ?) AS latest ORDER BY id",
                (ticket_id, last),
            )
        return [TicketMessage.model_validate(dict(r)) for r in rows]

    # --- staff-chat messages ---------------------------------------------------------------

    async def remember_staff_message(
        self, chat_id: int, message_id: int, ticket_id: int, kind: str
    ) -> None:
        """Record that a bot message in a staff chat belongs to a ticket."""
        await self.tx.execute(
            "INSERT INTO ticket_staff_messages (chat_id, message_id, ticket_id, kind)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO UPDATE SET"
            " ticket_id = excluded.ticket_id, kind = excluded.kind",
            (chat_id, message_id, ticket_id, kind),
        )

    async def ticket_of_staff_message(self, chat_id: int, message_id: int) -> int | None:
        """The ticket a staff-chat message belongs to, or None."""
        row = await self.tx.fetchone(
            "SELECT ticket_id FROM ticket_staff_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(row["ticket_id"]) if row else None

    async def staff_message_kind(self, chat_id: int, message_id: int) -> str | None:
        """What a ticket's staff-chat message is ('card', 'ack', 'escalate_prompt', ...)."""
        row = await self.tx.fetchone(
            "SELECT kind FROM ticket_staff_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return str(row["kind"]) if row else None

    async def staff_messages(self, ticket_id: int, kind: str) -> list[tuple[int, int]]:
        """(chat_id, message_id) of a ticket's staff-chat messages of one kind, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT chat_id, message_id FROM ticket_staff_messages"
            " WHERE ticket_id = ? AND kind = ? ORDER BY message_id",
            (ticket_id, kind),
        )
        return [(r["chat_id"], r["message_id"]) for r in rows]
