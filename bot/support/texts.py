"""How support tickets read as text: labels, the staff card and the merchant's history.

Rendered from templates (support/*.j2) with the bot's renderer; nothing here talks to Telegram.
Only handlers/ (when they answer, or when the outbox sends what the services queued as kinds
and plain values: handlers/support_views.py) and the SLA job (scheduler/support.py, the
reason it gives) call these; the services never render.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from babel.dates import format_datetime

from bot.data import BotData
from bot.settings import Locale
from bot.support.card import TicketCard, first_names
from bot.support.rules import ACTIVE, VIEW_CHARS, Status, ticket_number
from storage import Repositories
from storage.tickets import TicketMessage

LABELS = "support/labels"
# Telegram's limit is 4096 characters of text; the HTML we send is never shorter.
_MAX_TEXT = 4000
Buttons = list[list[tuple[str, str]]]  # rows of (label key in support/labels, callback data)
Labelled = list[list[tuple[str, str]]]  # rows of (label as shown, callback data)


def staff_locale(data: BotData) -> Locale:
    """Staff chats use the deployment's default language."""
    return data.settings.default_locale


def support_label(data: BotData, locale: Locale, key: str, **values: object) -> str:
    """A short text from support/labels.j2, as plain text (buttons, toasts)."""
    return html.unescape(data.renderer.block(locale, LABELS, key, **values))


def staff_text(data: BotData, key: str, **values: object) -> str:
    """A short staff-chat answer (a block of support/staff.j2), Telegram HTML."""
    return data.renderer.block(staff_locale(data), "support/staff", key, **values)


def staff_post(data: BotData, payload: dict) -> str:
    """A ticket's message to a staff chat as queued by relay.to_staff (a template and its
    values), rendered now; a text rendered when it was queued (before escalation posts were
    drawn when sent: see history_text) as it is."""
    if "template" not in payload:
        return payload["text"]
    return data.renderer.render(staff_locale(data), payload["template"], **payload["values"])


def copy_caption(data: BotData, locale: Locale, payload: dict) -> str | None:
    """The caption of a photo or document copied between a merchant and a staff chat, drawn
    now: a merchant's copy to a staff chat (relay.copy_to_staff, in the staff chats' language),
    a staff member's to the merchant (staff.from_staff, in the merchant's `locale`), or one
    rendered when it was queued (older rows) as it is."""
    if (values := payload.get("staff_caption")) is not None:
        return data.renderer.render(staff_locale(data), "support/staff_relay", **values)[:1000]
    if (values := payload.get("merchant_caption")) is not None:
        return data.renderer.render(locale, "support/staff_caption", **values)[:1000]
    return payload.get("caption")


def clock(data: BotData, when: datetime) -> str:
    """A timestamp in the business time zone, as staff read it."""
    return format_datetime(when, "MM-dd HH:mm", tzinfo=data.settings.zone, locale="en")


def _message_rows(
    data: BotData, messages: list[TicketMessage], names: dict[int, str]
) -> list[dict[str, object]]:
    locale = staff_locale(data)
    return [
        {
            "at": clock(data, m.created_at),
            "direction": m.direction,
            "who": names.get(m.author_id or 0, ""),
            "kind": support_label(data, locale, f"kind_{m.kind}") if m.kind != "text" else "",
            "file_name": m.file_name,
            "body": m.body if len(m.body) <= VIEW_CHARS else m.body[: VIEW_CHARS - 1] + "…",
        }
        for m in messages
    ]


def card_text(data: BotData, card: TicketCard) -> str:
    """The ticket as staff see it: the merchant's context, its state and its messages."""
    locale, ticket, user, application = (
        staff_locale(data),
        card.ticket,
        card.merchant,
        card.application,
    )
    # The language the bot speaks with them, which is the one staff should answer in.
    language = card.merchant_locale.replace("-", "_")
    values: dict[str, object] = {
        "number": ticket.number,
        "status": support_label(data, locale, f"status_{ticket.status}"),
        "tier": support_label(data, locale, f"tier_{ticket.tier}"),
        "escalated": ticket.tier != "l1",
        # the "reply or tap a button" hint only while there are buttons to tap
        "active": ticket.status in ACTIVE,
        "status_key": ticket.status,
        "urgent": ticket.priority == "urgent",
        "priority": support_label(data, locale, f"priority_{ticket.priority}"),
        "assignee": card.names.get(ticket.assignee_id) if ticket.assignee_id else None,
        "name": user.first_name if user else str(ticket.merchant_id),
        "username": user.username if user else None,
        "merchant_id": ticket.merchant_id,
        "language": support_label(data, locale, f"language_{language}"),
        "merchants": [{"no": m.merchant_no, "name": m.name} for m in card.shops],
        "application": (
            {
                "number": application.number or "—",
                "state": data.renderer.label(locale, f"state_{application.state}"),
                "name": application.answers.get("merchant_name", ""),
            }
            if application
            else None
        ),
        "recent": card.recent,
        "attached": card.attached,
        "due": clock(data, card.due) if card.due else None,
        "undeliverable": ticket.undeliverable_at is not None,
        "created_at": clock(data, ticket.created_at),
    }
    rows = _message_rows(data, card.messages, card.names)
    while True:
        text = data.renderer.render(locale, "support/card", messages=rows, **values)
        if len(text) <= _MAX_TEXT or not rows:
            return text
        rows = rows[1:]


def card_view(data: BotData, card: TicketCard) -> tuple[str, Labelled]:
    """The ticket's card in one pass: its text and its buttons, labelled (Take / Reply /
    Resolve / Escalate while the ticket is being worked on; none after)."""
    ticket = card.ticket
    actions = ["reply", "resolve", "escalate"] if ticket.status in ACTIVE else []
    if ticket.status == Status.NEW:
        actions.insert(0, "take")
    locale = staff_locale(data)
    row = [(support_label(data, locale, f"btn_card_{a}"), f"ts:{ticket.id}:{a}") for a in actions]
    return card_text(data, card), [row] if row else []


_TIER_CHANGE = re.compile(r"^(l\d) → (l\d): ")


def _tier_names(data: BotData, locale: Locale, note: str | None) -> str | None:
    """An escalation's note 'l1 → l2: why' as staff read it: '一线 L1 → 二线 L2：why'."""
    match = _TIER_CHANGE.match(note or "")
    if match is None:
        return note
    old, new = (support_label(data, locale, f"tier_{t}") for t in match.groups())
    return data.renderer.render(
        locale, "support/tier_change", old=old, new=new, reason=(note or "")[match.end() :]
    )


async def history_text(data: BotData, repos: Repositories, ticket_id: int, history: dict) -> str:
    """The escalation post, as staff/escalate queued it (the new tier, the reason, who, and how
    far the audit trail and the messages went then): ESCALATED, why, the trail and the history."""
    locale, actor = staff_locale(data), history.get("actor")
    events = (await repos.tickets.events(ticket_id))[: history["events"]]
    messages = [m for m in await repos.tickets.messages(ticket_id) if m.id <= history["upto"]]
    names = await first_names(
        repos, {e.actor for e in events} | {m.author_id for m in messages} | {actor}
    )
    trail = [
        {
            "at": clock(data, e.at),
            "who": names.get(e.actor) if e.actor else support_label(data, locale, "the_bot"),
            "action": support_label(data, locale, f"action_{e.action}"),
            "status": support_label(data, locale, f"status_{e.to_status}"),
            "note": _tier_names(data, locale, e.note),
        }
        for e in events
    ]
    rows = _message_rows(data, messages, names)
    while True:
        text = data.renderer.render(
            locale,
            "support/history",
            number=ticket_number(ticket_id),
            tier=support_label(data, locale, f"tier_{history['tier']}"),
            reason=history["reason"],
            by=names.get(actor) if actor else None,
            events=trail,
            messages=rows,
        )
        if len(text) <= _MAX_TEXT or not (rows or trail):
            return text
        rows, trail = (rows[1:], trail) if rows else (rows, trail[1:])
