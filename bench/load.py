"""Benchmark: 500 merchants onboarding, asking FAQ questions and checking /status at once.

    .venv/bin/python -m bench.load [--merchants 500]

The real bot runs in its own process polling the local Bot API server (bench/bots.py); the
merchants run here. Half of them apply first and then ask questions and check their status,
the other half the other way round, all concurrently. Reported: reply latency p50/p95/p99
(timed at the server, from queued update to stored reply), updates/s, the bot's peak RSS, and
the two things that must be zero: lost replies (a merchant left waiting) and duplicated replies
(more bot messages in a chat than the conversation calls for). Prints figures; asserts nothing
(tests/reliability/test_load.py runs a reduced size and asserts zero lost and duplicated).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.processes import BotProcess
from bench.updates import (
    FIRST_USER,
    Replies,
    Step,
    _sandbox,
    converse,
    onboarding,
    percentile,
)

QUESTIONS = ("申请POS机需要什么材料", "申请码丢了怎么办", "How do I activate the POS machine?")


def script(n: int) -> list[Step]:
    """Merchant n's conversation: onboarding, then (or first, for odd n) questions and /status."""
    questions = [Step("text", q) for q in QUESTIONS] + [Step("text", "/status")]
    return onboarding() + questions if n % 2 == 0 else questions + onboarding()


async def run(merchants: int, database_url: str | None = None) -> dict[str, float]:
    """One load run; figures in updates/s, milliseconds and counts. database_url: PostgreSQL
    instead of a SQLite file."""
    rng = random.Random(11)
    scripts = [script(n) for n in range(merchants)]
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        server = await _sandbox(merchants)
        replies = Replies(server)
        bot = await BotProcess.start("merchant", server, Path(folder), database_url=database_url)
        try:
            started = time.perf_counter()
            seen = await asyncio.gather(
                *(
                    converse(
                        server,
                        replies,
                        FIRST_USER + n,
                        scripts[n],
                        echo=False,
                        pause=None,
                        rng=rng,
                    )
                    for n in range(merchants)
                )
            )
            elapsed = time.perf_counter() - started
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
            duplicated = 0
            for n in range(merchants):
                sent = [m for m in server.messages(FIRST_USER + n) if m["from"].get("is_bot")]
                expected = sum(step.replies for step in scripts[n])
                duplicated += max(0, len(sent) - expected)
        finally:
            peak = await bot.stop()
            await server.stop()
    latencies = [x * 1000 for s in seen for x in s.latencies]
    return {
        "merchants": float(merchants),
        "updates_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) if latencies else 0.0,
        "p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
        "p99_ms": percentile(latencies, 0.99) if latencies else 0.0,
        "lost": float(sum(1 for s in seen if not s.finished)),
        "duplicated": float(duplicated),
        "peak_rss_mb": peak,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the flags, run, print and return the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--merchants", type=int, default=500)
    args = parser.parse_args(argv)
    f = asyncio.run(run(args.merchants))
    print(
        f"load: {args.merchants} merchants onboarding + FAQ + /status at once:"
        f" {f['updates_per_s']:.1f} updates/s, latency p50 {f['p50_ms']:.1f}"
        f" p95 {f['p95_ms']:.1f} p99 {f['p99_ms']:.1f} ms, peak RSS {f['peak_rss_mb']:.1f} MB,"
        f" {f['lost']:.0f} lost, {f['duplicated']:.0f} duplicated, {f['seconds']:.1f} s"
    )
    return f


if __name__ == "__main__":
    main()
