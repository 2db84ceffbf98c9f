"""Support tickets over time: SLA reminders, auto-escalation and expiry.

Each run looks only at stored timestamps and rounds, so a restart changes nothing: a breach
already reminded has its outbox row (same dedupe key), an escalation already made has moved
the ticket on to the next round.
"""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.data import BotData
from bot.support.rules import Policy
from bot.support.sla import check_sla
from bot.support.texts import staff_text

log = logging.getLogger(__name__)

JOB_NAME = "support-sla"


async def check_tickets(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind, escalate and expire what is due; wake the sender if anything was queued."""
    data: BotData = context.bot_data  # type: ignore[assignment]
    async with data.storage.transaction() as repos:
        acted = await check_sla(
            repos, Policy.of(data.settings), auto_reason=staff_text(data, "auto_reason")
        )
    if acted:
        data.kick_outbox()
