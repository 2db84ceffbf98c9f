"""Timed jobs, registered on PTB's JobQueue (APScheduler underneath)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, ContextTypes

from bot.data import BotData
from bot.support.rules import sla_check_interval

if TYPE_CHECKING:
    from scheduler.summaries import SendDaily

OUTBOX_INTERVAL_SECONDS = 2.0


async def deliver_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send whatever notifications are due."""
    data: BotData = context.bot_data  # type: ignore[assignment]
    await data.outbox.run(context.bot, data)


def register_jobs(app: Application, send_daily: SendDaily) -> None:
    """Schedule every recurring job and give handlers a way to wake the outbox sender now."""
    from scheduler import reminders, summaries
    from scheduler import support as support_jobs

    queue = app.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    data: BotData = app.bot_data
    queue.run_repeating(deliver_outbox, interval=OUTBOX_INTERVAL_SECONDS, first=0.5, name="outbox")
    # Check a few times per reminder period (every 10 minutes for the default 24 h).
    every = max(1.0, min(600.0, data.settings.review_reminder_hours * 3600 / 4))
    queue.run_repeating(
        reminders.remind_waiting_reviews,
        interval=every,
        first=min(60.0, every),
        name="review-reminders",
    )
    summary_every = data.settings.summary_tick_seconds
    queue.run_repeating(
        summaries.push_due_summaries,
        interval=summary_every,
        first=min(5.0, summary_every),  # soon after a start: catch up on missed summaries
        name=summaries.JOB_NAME,
        data=summaries.SummaryPusher(data.settings, send_daily),
        # A big push outlasts a tick; the pusher skips the overlap quietly (no APScheduler
        # "maximum number of running instances reached" warning every minute).
        job_kwargs={"max_instances": 2},
    )

    sla_every = sla_check_interval(data.settings)
    queue.run_repeating(
        support_jobs.check_tickets,
        interval=sla_every,
        first=min(5.0, sla_every),
        name=support_jobs.JOB_NAME,
    )

    def kick() -> None:
        queue.run_once(deliver_outbox, 0)

    data.kick_outbox = kick
