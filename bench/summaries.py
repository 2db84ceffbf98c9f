"""Benchmark: compute and render every merchant's daily summary for one business day.

    .venv/bin/python -m bench.summaries [--merchants 10000] [--per-merchant 100] [--days 8]

Fills a temporary SQLite file with merchants x transactions spread over `--days` days
ending with the business day (so the previous-day and 7-day comparisons have data), then
times compute_summaries + render_daily for all merchants. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.i18n import Renderer
from bot.settlement import compute_summaries, render_daily
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


async def main(merchants: int, per_merchant: int, days: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.sqlite3")
        await db.connect()
        seconds = await fill(db, merchants, per_merchant, days)
        rows = merchants * per_merchant
        print(f"filled {merchants} merchants x {per_merchant} = {rows:,} transactions")
        print(f"  over {days} day(s) in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
        renderer = Renderer()
        totals, computes, renders = [], [], []
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=10_000)
    parser.add_argument("--per-merchant", type=int, default=100)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.merchants, args.per_merchant, args.days, args.runs))
