"""The daily summary push: each due summary sent once, paced.

What is done for each one (computed, sent, its outcome recorded) is
scheduler/summary_message.py; here is when, how fast, and never twice.

Once: a summary is claimed in the database (one row per merchant and business day) just
before it is sent and marked sent just after, so overlapping ticks, a restart or a second
bot process on the same database never send it twice. A process that dies between claim
and mark leaves a claim that is sent again: on PostgreSQL each claim names its instance
(bot/cluster.py's instance_id) and the next push takes over the claims of instances with no
connection left at once (GONE_CLAIM after the claim, so that a stopping instance finishes its
sends in flight); on SQLite, or for a claim without owner, after STALE_CLAIM. Only a crash in
the moment between Telegram accepting the message and the mark being committed (one UPDATE,
right after the send returns) can make a merchant see it twice: Telegram's sendMessage has no
idempotency key, so no design can close that window. A stop (Ctrl-C,
restart) is not a crash: no new claims are made, the sends in flight finish and are
marked, and the next process carries on with the rest.

Pace: evenly spaced at settings.summary_messages_per_second (Telegram allows 30/s per
bot), or with SUMMARY_PAID_BROADCAST at summary_paid_messages_per_second (up to 1,000/s,
each send flagged allow_paid_broadcast, which PTB's AIORateLimiter paces on a budget of its
own, apart from the 30/s of everything else); one message per second per chat (Telegram's
limit for a chat, which PTB's AIORateLimiter does not apply), at most
summary_push_concurrency sends in flight, so that replies to people never queue behind
thousands of summaries in the rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from telegram import Bot
from telegram.ext import ContextTypes

from bot import metrics
from bot.data import BotData
from bot.reports.settlement import now as clock_now
from bot.settings import Settings
from scheduler.summary_message import (
    Outgoing,
    SendDaily,
    prepare_chunk,
    record_outcome,
    send_summary,
)
from storage.summary_deliveries import DueSummary

log = logging.getLogger(__name__)

JOB_NAME = "daily-summaries"
CHUNK = 200  # summaries computed per database transaction: short enough not to block others
CHAT_GAP = 1.0  # seconds between two messages to the same chat


@dataclass
class PushReport:
    """What one push did."""

    sent: int = 0
    blocked: int = 0  # the merchant blocked the bot (now or earlier): marked, not retried
    failed: int = 0  # Telegram refused it or the outcome is unknown: not resent
    deferred: int = 0  # Telegram busy or unreachable: due again at the next tick
    taken: int = 0  # another tick or process claimed it first
    busy: bool = False  # a push was already running in this process; this one did nothing


class Pacer:
    """Hands out send slots at most `rate` per second, evenly spaced: no bursts."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self._next = 0.0

    async def wait(self) -> None:
        """Wait for the next free slot (slots are taken in call order)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class SummaryPusher:
    """Sends the due summaries; one push at a time per process."""

    def __init__(self, settings: Settings, send_daily: SendDaily) -> None:
        self.send_daily = send_daily
        self.concurrency = settings.summary_push_concurrency
        self.paid = settings.summary_paid_broadcast
        rate = settings.summary_paid_messages_per_second if self.paid else None
        self.pacer = Pacer(rate or settings.summary_messages_per_second)
        self._running = asyncio.Lock()
        self._chat_free: dict[int, float] = {}  # loop time when a chat may get the next one
        self._owner: str | None = None  # this instance's id on PostgreSQL
        self._gone: list[str] = []  # instances gone whose claims this push takes over

    async def run(
        self,
        bot: Bot,
        data: BotData,
        *,
        now: datetime | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> PushReport:
        """Send everything due at `now`; stop claiming new ones once keep_going() is False."""
        if self._running.locked():
            return PushReport(busy=True)
        async with self._running:
            now = now or clock_now()
            cluster = getattr(data, "cluster", None)
            # PostgreSQL: claims name their instance; those of an instance gone are taken over.
            self._owner = (
                None if cluster is None or cluster.role == "single" else cluster.instance_id
            )
            async with data.storage.transaction() as repos:
                owners = await repos.summary_deliveries.claim_owners()
            others = [o for o in owners if o != self._owner]
            self._gone = await cluster.gone(others) if cluster is not None and others else []
            if self._gone:
                log.info("daily summaries: taking over the claims of %s", ", ".join(self._gone))
            async with data.storage.transaction() as repos:
                due = await repos.summary_deliveries.due(now, gone=self._gone)
            report = PushReport()
            if due:
                await self._push(bot, data, due, report, keep_going)
            loop_time = asyncio.get_running_loop().time()
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > loop_time}
            return report

    async def _push(
        self,
        bot: Bot,
        data: BotData,
        due: Sequence[DueSummary],
        report: PushReport,
        keep_going: Callable[[], bool],
    ) -> None:
        # A producer computes chunk after chunk while workers send: sending never waits
        # for the database, and at most two chunks are held in memory.
        queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=CHUNK)
        chat_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

        async def worker() -> None:
            while (item := await queue.get()) is not None:
                if not keep_going():
                    continue  # stopping: leave it unclaimed for the next tick or process
                try:
                    async with chat_locks[item.chat_id]:
                        await self._deliver(bot, data, item, report)
                except Exception:
                    # A worker that died would leave the producer waiting on a full queue.
                    log.exception("summary for %s", item.due.merchant.merchant_no)

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        try:
            for start in range(0, len(due), CHUNK):
                if not keep_going():
                    break
                for item in await prepare_chunk(data, due[start : start + CHUNK]):
                    await queue.put(item)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()

    async def _deliver(self, bot: Bot, data: BotData, item: Outgoing, report: PushReport) -> None:
        """Claim, send, mark: one summary, at most once."""
        loop = asyncio.get_running_loop()
        wait = self._chat_free.get(item.chat_id, 0.0) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        merchant_no, day = item.due.merchant.merchant_no, item.due.business_day
        # The send slot first, then the claim: a claim is in doubt after a crash only while
        # its message is on its way, not while it waits its turn.
        await self.pacer.wait()
        async with data.storage.transaction() as repos:
            deliveries = repos.summary_deliveries
            # Stamped with the time of the claim, not of the tick: in a push longer than
            # STALE_CLAIM the last claims would otherwise look abandoned to other processes.
            claimed = await deliveries.claim(
                merchant_no,
                day,
                late=item.due.late,
                now=clock_now(),
                owner=self._owner,
                gone=self._gone,
            )
            if not claimed:
                report.taken += 1
                return
            if not item.reachable:
                await deliveries.mark_failed(merchant_no, day)
                report.blocked += 1
                metrics.summary_pushed("blocked", paid=self.paid)
                return
        outcome = await send_summary(self.send_daily, bot, data, item, paid=self.paid)
        # Marked at once, in one statement, and not given up if the push is cancelled now:
        # the time a sent summary stays "claimed" is the time a crash could repeat it.
        await asyncio.shield(record_outcome(data, merchant_no, day, outcome))
        self._chat_free[item.chat_id] = loop.time() + CHAT_GAP
        setattr(report, outcome, getattr(report, outcome) + 1)
        metrics.summary_pushed(outcome, paid=self.paid)


async def push_due_summaries(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue tick: send the daily summaries that are due; stop claiming when the bot stops."""
    assert context.job is not None
    pusher: SummaryPusher = context.job.data  # type: ignore[assignment]
    data: BotData = context.bot_data  # type: ignore[assignment]
    application = context.application
    cluster = getattr(data, "cluster", None)

    def keep_going() -> bool:
        # Once per cluster: an instance that loses the lead claims nothing more; the new
        # leader carries on with whatever is still unclaimed.
        return application.running and (cluster is None or cluster.is_leader)

    report = await pusher.run(context.bot, data, keep_going=keep_going)
    if report.sent or report.blocked or report.failed or report.deferred:
        log.info("daily summaries: %s", report)
