"""Benchmark: daily summaries for many merchants, and how fast they are pushed.

    .venv/bin/python -m bench.summaries [--merchants 10000] [--per-merchant 100] [--days 8]
        [--runs 3] [--free-count 600] [--count 20000] [--paid-concurrency N]
        [--ceiling-merchants 1000] [--skip-compute]

1. Compute + render: fills a temporary SQLite file with merchants x transactions spread
   over `--days` days ending with the business day (so the previous-day and 7-day
   comparisons have data), then times compute_summaries + render_daily for all merchants.
   Target (issue 7): < 5 s for 10,000 merchants x 100 transactions.
2. Free push (push_limited): the real bot pushes one summary to each of `--free-count`
   merchants through the local Bot API server enforcing Telegram's flood limits
   (sandbox/limits.py: 30 messages/s per bot as a 30-message bucket refilled at 30/s, the
   model PTB's AIORateLimiter uses; 1 message/s per chat; 429 beyond them). Target: >= 28
   messages/s, no 429. 20,000 at 30/s take 11 minutes, so the default is 600 (20 s) and
   the time for 20,000 and for 1,000,000 is extrapolated from the measured rate.
3. Paid push (push_paid): `--count` merchants (default 20,000, measured, not extrapolated)
   with SUMMARY_PAID_BROADCAST: every summary flagged allow_paid_broadcast, which the same
   server lets through up to 1,000/s; the bot paces at SUMMARY_PAID_MESSAGES_PER_SECOND.
4. Ceiling: the same push with no limit anywhere (server, bot pacing, PTB's limiter).

Each push prints messages/s (first to last accepted send), total time, the 429s the
server answered and the hours a million merchants' summaries would take at that rate.
Prints figures; asserts nothing. main() returns them for a collecting runner.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import resource
import secrets
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.i18n import Renderer
from bot.reports.settlement import compute_summaries, render_daily
from bot.runner import start_bot, stop_bot
from bot.settings import Settings
from handlers import report_views
from sandbox.limits import FloodLimits
from sandbox.server import BotApiServer
from scheduler.summaries import JOB_NAME, SummaryPusher
from storage.db import Database, utcnow
from storage.transactions import utc_text

BUSINESS_DAY = date(2026, 11, 25)
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong")  # two zones, so windows differ per zone
# type weights: mostly sales, a few voids/refunds, some pre-auth traffic
TYPES = (
    ("sale", 88),
    ("void", 2),
    ("refund", 3),
    ("preauth", 3),
    ("preauth_complete", 2),
    ("preauth_cancel", 2),
)
CHANNELS = ("card", "alipay", "wechat", "unionpay_qr")


def _transactions(merchants: int, per_merchant: int, days: int, seed: int):
    """Rows for executemany, generated with plain integer arithmetic (fast)."""
    rng = random.Random(seed)
    kinds = [k for k, w in TYPES for _ in range(w)]
    # Shanghai midnight of the first day, in UTC; spread over `days` local days.
    first = datetime(2026, 11, 25, 16, tzinfo=UTC) - timedelta(days=days)
    span = days * 86400
    created = utcnow().isoformat()
    for m in range(merchants):
        merchant_no = f"M{3301000001 + m:010d}"
        for n in range(per_merchant):
            kind = kinds[rng.randrange(len(kinds))]
            amount = rng.randrange(100, 50000)
            channel = CHANNELS[rng.randrange(4)]
            fee = amount * (38 if channel == "card" else 60) // 10000
            when = first + timedelta(seconds=rng.randrange(span))
            yield (
                merchant_no,
                utc_text(when),
                f"B{m:05d}{n:04d}",
                f"SN{m:05d}{n % 2 if m % 10 == 0 else 0}",  # every 10th has two terminals
                kind,
                amount,
                fee,
                channel,
                None,
                created,
            )


async def fill(db: Database, merchants: int, per_merchant: int, days: int) -> float:
    """Insert merchants and transactions in one transaction; returns seconds taken."""
    started = time.perf_counter()
    created = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO merchants (merchant_no, telegram_id, name, timezone, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (
                    f"M{3301000001 + m:010d}",
                    100000 + m,
                    f"商户{m}",
                    ZONES[1] if m % 10 == 9 else ZONES[0],
                    created,
                )
                for m in range(merchants)
            ),
        )
        await tx.executemany(
            "INSERT INTO transactions (merchant_no, occurred_at, external_id, terminal_sn, type,"
            " amount, fee, channel, original_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _transactions(merchants, per_merchant, days, seed=42),
        )
    return time.perf_counter() - started


async def one_run(db: Database, renderer: Renderer) -> tuple[float, float, int]:
    """Seconds to compute, seconds to render, number of summaries."""
    started = time.perf_counter()
    async with db.transaction() as tx:
        summaries = await compute_summaries(tx, BUSINESS_DAY)
    computed = time.perf_counter()
    for i, summary in enumerate(summaries):
        render_daily(renderer, "en" if i % 5 == 0 else "zh-CN", summary)
    return computed - started, time.perf_counter() - computed, len(summaries)


async def compute_and_render(
    merchants: int, per_merchant: int, days: int, runs: int
) -> dict[str, float]:
    """Part 1: fill a database, then compute and render every summary `runs` times."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.sqlite3")
        await db.connect()
        seconds = await fill(db, merchants, per_merchant, days)
        rows = merchants * per_merchant
        print(f"filled {merchants} merchants x {per_merchant} = {rows:,} transactions")
        print(f"  over {days} day(s) in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        renderer = Renderer()
        totals, computes, renders = [], [], []
        count = 0
        for _ in range(runs):
            compute, render, count = await one_run(db, renderer)
            computes.append(compute)
            renders.append(render)
            totals.append(compute + render)
        await db.close()
    for label, values in (("compute", computes), ("render", renders), ("total", totals)):
        print(
            f"{label:8} median {statistics.median(values):.2f} s"
            f"  (min {min(values):.2f} – max {max(values):.2f}, {runs} runs, {count} summaries)"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS {peak_mb:.0f} MB")
    return {
        "merchants": merchants,
        "transactions": rows,
        "compute_s": statistics.median(computes),
        "render_s": statistics.median(renders),
        "total_s": statistics.median(totals),
        "peak_rss_mb": peak_mb,
    }


async def push(merchants: int, *, mode: str, concurrency: int | None = None) -> dict[str, float]:
    """Parts 2-4: the real bot pushes one summary to each merchant via the local Bot API server.

    mode "free": the server enforces 30 messages/s (and 1/s per chat), the bot paces at
    SUMMARY_MESSAGES_PER_SECOND; "paid": the same server, the bot with SUMMARY_PAID_BROADCAST
    (its sends flagged allow_paid_broadcast, which the server lets through up to 1,000/s);
    "ceiling": no limit anywhere (server, bot pacing, PTB's limiter).
    """
    with tempfile.TemporaryDirectory() as folder:
        server = BotApiServer("127.0.0.1", 0)
        if mode != "ceiling":
            server.flood = FloodLimits(per_second=30, paid_per_second=1000, chat_gap=1.0)
        await server.start()
        for m in range(merchants):
            server.add_user(100000 + m, f"商户{m}", language_code="zh-hans")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=server.token,
            database_path=Path(folder) / "push.sqlite3",
            data_dir=Path(folder) / "data",
            telegram_base_url=server.base_url,
            telegram_file_base_url=server.file_base_url,
            poll_timeout_seconds=1.0,
            encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            summary_paid_broadcast=mode == "paid",
        )
        if concurrency is not None:
            settings = settings.model_copy(update={"summary_push_concurrency": concurrency})
        if mode == "ceiling":
            settings = settings.model_copy(update={"summary_messages_per_second": 1e9})
        db = Database(settings.sqlite_path)
        await db.connect()
        await fill(db, merchants, per_merchant=20, days=8)
        async with db.transaction() as tx:
            # created that morning: only the business day's summary is due, no catch-up
            await tx.execute("UPDATE merchants SET created_at = ?", (f"{BUSINESS_DAY}T00:00:00Z",))
        await db.close()
        app = await start_bot(settings)
        assert app.job_queue is not None
        for job in app.job_queue.get_jobs_by_name(JOB_NAME):
            job.schedule_removal()  # this bench drives the push itself, at a fixed moment
        if mode == "ceiling":
            # PTB's own 30/s limiter (private, but this is a bench): measure the bot alone.
            app.bot.rate_limiter._base_limiter = None  # type: ignore[union-attr]
        at = datetime(2026, 11, 25, 13, 31, tzinfo=UTC)  # 21:31 in Shanghai and Hong Kong
        server.calls.clear()
        started = time.perf_counter()
        report = await SummaryPusher(settings, report_views.send_daily).run(
            app.bot, app.bot_data, now=at
        )
        seconds = time.perf_counter() - started
        await stop_bot(app)
        await server.stop()
    sends = [p for name, p in server.calls if name == "sendmessage"]
    flagged = sum(1 for p in sends if p.get("allow_paid_broadcast") is True)
    flood = server.flood
    stamps = flood.accepted_at if flood is not None else []
    rate = (
        (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else report.sent / seconds
    )
    rejected = flood.rejected if flood is not None else 0
    per_million_h = 1_000_000 / rate / 3600 if rate else 0.0
    print(
        f"push ({mode}, concurrency {settings.summary_push_concurrency}): {report.sent} of"
        f" {merchants} summaries in {seconds:.1f} s, {rate:.1f} messages/s, {rejected} answered"
        f" 429, {flagged} flagged allow_paid_broadcast;"
        f" 20,000 would take {20_000 / rate / 60:.1f} min, 1,000,000 {per_million_h:.2f} h"
    )
    return {
        "merchants": merchants,
        "sent": report.sent,
        "seconds": seconds,
        "messages_per_s": rate,
        "rejected_429": rejected,
        "paid_flagged": flagged,
        "minutes_for_20k": 20_000 / rate / 60 if rate else 0.0,
        "hours_for_1m": per_million_h,
    }


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Run all three parts, print the figures and return them."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--merchants", type=int, default=10_000)
    parser.add_argument("--per-merchant", type=int, default=100)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--free-count",
        "--push-merchants",
        type=int,
        default=600,
        help="summaries pushed at the free 30/s (600 = 20 s; 20,000 would take 11 minutes)",
    )
    parser.add_argument(
        "--count", type=int, default=20_000, help="summaries pushed with paid broadcast"
    )
    parser.add_argument(
        "--paid-concurrency",
        type=int,
        default=None,
        help="SUMMARY_PUSH_CONCURRENCY for the paid push (default: the setting's default)",
    )
    parser.add_argument("--ceiling-merchants", type=int, default=1000)
    parser.add_argument("--skip-compute", action="store_true", help="only the pushes")
    args = parser.parse_args(argv)

    async def run_all() -> dict[str, dict[str, float]]:
        figures: dict[str, dict[str, float]] = {}
        if not args.skip_compute:
            figures["compute_render"] = await compute_and_render(
                args.merchants, args.per_merchant, args.days, args.runs
            )
        figures["push_limited"] = await push(args.free_count, mode="free")
        figures["push_paid"] = await push(
            args.count, mode="paid", concurrency=args.paid_concurrency
        )
        figures["push_ceiling"] = await push(args.ceiling_merchants, mode="ceiling")
        return figures

    return asyncio.run(run_all())


if __name__ == "__main__":
    main()
