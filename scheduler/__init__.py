"""Timed jobs, registered on PTB's JobQueue (APScheduler underneath).

Every instance runs the outbox sender (rows are leased in the database). The other jobs (summary
pushes, SLA checks, review reminders) run on the leader only (bot/cluster.py; with SQLite the
one process leads), and a new leader runs them at once instead of waiting for the next tick.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram.ext import Application, ContextTypes

from bot.data import BotData
from bot.support.rules import sla_check_interval

if TYPE_CHECKING:
    from scheduler.summary_message import SendDaily

OUTBOX_INTERVAL_SECONDS = 2.0
LEADER_JOBS = ("review-reminders", "daily-summaries", "support-sla")

Callback = Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def leader_only(callback: Callback) -> Callback:
    """The job runs on the instance that leads; on the others its tick does nothing."""

    @functools.wraps(callback)
    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        cluster = getattr(context.bot_data, "cluster", None)  # None: built without a runner
        if cluster is None or cluster.is_leader:
            await callback(context)

    return run


def run_leader_jobs_now(app: Application) -> None:
    """This instance has just taken the lead: run its jobs now, not at their next tick."""
    queue = app.job_queue
    assert queue is not None
    for name in LEADER_JOBS:
        for job in queue.get_jobs_by_name(name):
            queue.run_once(job.callback, 0, data=job.data, name=f"{name}-now")


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
        leader_only(reminders.remind_waiting_reviews),
        interval=every,
        first=min(60.0, every),
        name="review-reminders",
    )
    summary_every = data.settings.summary_tick_seconds
    queue.run_repeating(
        leader_only(summaries.push_due_summaries),
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
        leader_only(support_jobs.check_tickets),
        interval=sla_every,
        first=min(5.0, sla_every),
        name=support_jobs.JOB_NAME,
    )

    def kick() -> None:
        queue.run_once(deliver_outbox, 0)

    data.kick_outbox = kick
