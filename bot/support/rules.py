"""Support tickets as a domain: statuses, tiers, numbers and SLA targets. No Telegram types.

Status model::

    new ──take/reply──▶ open ──/pending──▶ pending ──merchant writes──▶ open
     │                   │                  │
     └──────────────/resolve────────────────┴──▶ resolved ──7 days──▶ closed
                                                   │
                                merchant writes ◀──┘ (reopen: back to open, or new if unassigned)

The merchant can close their own ticket at any time. Escalation raises the tier
(L1 → L2 → supervisor), makes the ticket urgent and puts it back to `new` for the next tier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.parsing import as_typed
from bot.settings import Locale, Settings


class Status(StrEnum):
    """Where a ticket is in its life."""

    NEW = "new"  # nobody has taken it
    OPEN = "open"  # assigned, staff working on it
    PENDING = "pending"  # waiting on the merchant
    RESOLVED = "resolved"  # staff consider it solved; the merchant may still reopen
    CLOSED = "closed"


class Tier(StrEnum):
    """Who handles it: first line, second line, a supervisor."""

    L1 = "l1"
    L2 = "l2"
    SUPERVISOR = "supervisor"


TIERS: tuple[Tier, ...] = (Tier.L1, Tier.L2, Tier.SUPERVISOR)
PRIORITIES: tuple[str, ...] = ("normal", "urgent")
# Tickets staff still have to work on.
ACTIVE: tuple[Status, ...] = (Status.NEW, Status.OPEN, Status.PENDING)
# Tickets whose merchant may close them.
CLOSABLE: tuple[Status, ...] = (*ACTIVE, Status.RESOLVED)
# An unfinished description is forgotten after this long (so the FAQ gets the chat back).
DRAFT_TTL = timedelta(hours=1)
# Staff views cut a ticket's history to this many messages, each to this many characters.
VIEW_MESSAGES = 12
VIEW_CHARS = 300
# A resolved ticket is rated with this many stars at most.
RATING_BUTTONS = 5

_NUMBER = re.compile(r"#?T?-?0*([0-9]{1,9})", re.IGNORECASE)


def ticket_number(ticket_id: int) -> str:
    """T-000123."""
    return f"T-{ticket_id:06d}"


def parse_ticket_number(text: str) -> int | None:
    """The ticket id in 'T-000123', 't-123', 'T123' or '123'; None if it is not one."""
    match = _NUMBER.fullmatch(as_typed(text))
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def next_tier(tier: Tier) -> Tier | None:
    """The tier above, or None at the top."""
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


def response_target(settings: Settings, priority: str) -> timedelta:
    """How soon staff must respond to a ticket of this priority."""
    minutes = (
        settings.support_sla_urgent_minutes
        if priority == "urgent"
        else settings.support_sla_normal_minutes
    )
    return timedelta(minutes=minutes)


def reopen_window(settings: Settings) -> timedelta:
    """How long after resolution a merchant's message reopens the ticket."""
    return timedelta(days=settings.support_reopen_days)


def escalation_chat(settings: Settings) -> int | None:
    """Where escalated tickets are posted: ESCALATION_CHAT_ID, else the support chat."""
    return settings.escalation_chat_id or settings.support_chat_id


def sla_breach(target: timedelta, waiting_since: datetime | None, now: datetime) -> int:
    """0 while within `target`, 1 once past it, 2 once past twice the target."""
    if waiting_since is None:
        return 0
    waited = now - waiting_since
    return 2 if waited >= 2 * target else 1 if waited >= target else 0


def sla_check_interval(settings: Settings) -> float:
    """Seconds between SLA checks: a tenth of the shortest target, within 0.5 s to 60 s."""
    shortest = min(settings.support_sla_normal_minutes, settings.support_sla_urgent_minutes)
    return max(0.5, min(60.0, shortest * 60 / 10))


def minutes(delta: timedelta) -> str:
    """Minutes as people read them: 30, 2.5 (a response target promised to a merchant)."""
    value = delta.total_seconds() / 60
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True)
class Policy:
    """Support's settings as a use case needs them, read once: where tickets go (and escalated
    ones), how long a resolved ticket can be reopened, how often follow-ups reach staff, the
    response targets, whether merchants see staff names, and the deployment's default
    language (the staff chats', and a merchant's until known)."""

    support_chat_id: int | None
    escalation_chat_id: int | None  # ESCALATION_CHAT_ID, else the support chat
    reopen_days: float  # as merchants are told it
    reopen_window: timedelta
    batch_window: timedelta
    targets: dict[str, timedelta]  # priority -> first-response target
    default_locale: Locale
    show_staff_names: bool  # a reply to the merchant names the staff member who wrote it

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        """The policy the settings describe."""
        return cls(
            support_chat_id=settings.support_chat_id,
            escalation_chat_id=escalation_chat(settings),
            reopen_days=settings.support_reopen_days,
            reopen_window=reopen_window(settings),
            batch_window=timedelta(seconds=settings.support_batch_seconds),
            targets={p: response_target(settings, p) for p in PRIORITIES},
            default_locale=settings.default_locale,
            show_staff_names=settings.support_show_staff_names,
        )
