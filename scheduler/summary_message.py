"""One daily summary message: computed and addressed, sent, and what happened recorded.

scheduler/summaries.py decides when and how fast (claim, pace, mark); this module is what it
does for each summary: prepare_chunk computes a chunk's summaries, send_summary turns
Telegram's answer into an Outcome, record_outcome writes it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.data import BotData
from bot.i18n import Renderer
from bot.notify import locale_for
from bot.reports.settlement import SettlementDay, compute_summaries
from bot.reports.settlement import now as clock_now
from bot.settings import Locale
from storage.summary_deliveries import DueSummary, SummaryDeliveryRepository

log = logging.getLogger(__name__)

Outcome = Literal["sent", "blocked", "failed", "deferred"]


class SendDaily(Protocol):
    """How one daily summary reaches its merchant (handlers.report_views.send_daily)."""

    async def __call__(
        self,
        bot: Bot,
        renderer: Renderer,
        chat_id: int,
        locale: Locale,
        summary: SettlementDay,
        *,
        late: bool = False,
        allow_paid_broadcast: bool = False,
    ) -> object: ...


@dataclass(frozen=True)
class Outgoing:
    """A summary ready to send."""

    due: DueSummary
    chat_id: int
    locale: Locale
    summary: SettlementDay
    reachable: bool


async def prepare_chunk(data: BotData, chunk: Sequence[DueSummary]) -> list[Outgoing]:
    """Compute (one aggregation per business day) and address a chunk of due summaries."""
    settings = data.settings
    by_day: defaultdict[date, list[str]] = defaultdict(list)
    for due in chunk:
        by_day[due.business_day].append(due.merchant.merchant_no)
    summaries: dict[tuple[str, date], SettlementDay] = {}
    async with data.storage.transaction() as repos:
        users = {}
        for telegram_id in {due.merchant.telegram_id for due in chunk}:
            assert telegram_id is not None  # due() only returns linked merchants
            users[telegram_id] = await repos.users.get(telegram_id)
        for day, merchant_nos in by_day.items():
            for summary in await compute_summaries(
                repos.tx, day, merchant_nos=merchant_nos, settlement_days=settings.settlement_days
            ):
                summaries[summary.merchant_no, day] = summary
    out = []
    for due in chunk:
        chat_id = due.merchant.telegram_id
        assert chat_id is not None
        user = users[chat_id]
        locale = (user.locale if user else None) or locale_for(
            user.language_code if user else None, settings.default_locale
        )
        out.append(
            Outgoing(
                due=due,
                chat_id=chat_id,
                locale=locale,
                summary=summaries[due.merchant.merchant_no, due.business_day],
                reachable=user is None or user.unreachable_at is None,
            )
        )
    return out


async def send_summary(
    send_daily: SendDaily, bot: Bot, data: BotData, item: Outgoing, *, paid: bool
) -> Outcome:
    """Send one summary; what happened, as far as Telegram lets us know."""
    merchant_no = item.due.merchant.merchant_no
    flag = {"allow_paid_broadcast": True} if paid else {}
    try:
        await send_daily(
            bot, data.renderer, item.chat_id, item.locale, item.summary, late=item.due.late, **flag
        )
    except Forbidden:
        return "blocked"  # DeliveryPolicy has marked the user unreachable
    except RetryAfter:
        return "deferred"  # still flooded after DeliveryPolicy's retries
    except TimedOut:
        # Telegram may have delivered it: sending again risks a duplicate.
        log.warning("summary for %s timed out; not resent", merchant_no)
        return "failed"
    except BadRequest as exc:
        log.warning("summary for %s refused: %s", merchant_no, exc)
        return "failed"
    except NetworkError as exc:
        log.warning("summary for %s not sent (%s); retried next tick", merchant_no, exc)
        return "deferred"
    except TelegramError as exc:
        log.warning("summary for %s failed: %r", merchant_no, exc)
        return "failed"
    except Exception:
        # A bug must not stop the other merchants' summaries, nor be retried every minute.
        log.exception("summary for %s could not be sent", merchant_no)
        return "failed"
    return "sent"


async def record_outcome(data: BotData, merchant_no: str, day: date, outcome: Outcome) -> None:
    """Mark the summary sent, failed for good, or due again (deferred)."""
    async with data.storage.autocommit() as repos:
        deliveries: SummaryDeliveryRepository = repos.summary_deliveries
        if outcome == "sent":
            await deliveries.mark_sent(merchant_no, day, clock_now())
        else:
            await deliveries.mark_failed(merchant_no, day, retry=outcome == "deferred")
