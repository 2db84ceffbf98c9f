"""Benchmark: what OCR prefill costs the other merchants. Ten merchants upload their licence
photos while twenty others chat with the bot at a person's pace; the others' reply latency,
beside the same run with OCR off (where the ten upload their photos to the form as today).

    .venv/bin/python -m bench.ocr_load [--uploaders 10] [--others 20] [--steps 12]

The bot is its own process (bench/bots.py) polling the local Bot API server, with its OCR
worker process when OCR is on; the server and the simulated people share this process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.ocr_images import sample
from bench.updates import (
    FIRST_USER,
    BotProcess,
    Replies,
    Step,
    _sandbox,
    converse,
    percentile,
)


def uploader_script(ocr: bool, photo: bytes) -> list[Step]:
    """/apply, agree, and the licence photo: first with OCR (then ✅ all), fourth without."""
    steps = [Step("text", "/start"), Step("text", "/apply", replies=2), Step("press", "我同意")]
    if ocr:
        return [*steps, Step("photo", photo), Step("press", "全部正确")]
    typed = [Step("press", "个体工商户"), Step("text", "杭州西湖小王便利店")]
    return [*steps, *typed, Step("text", "91350100M000100Y43"), Step("photo", photo)]


def other_script(steps: int) -> list[Step]:
    """A merchant who is not applying: help, status and the FAQ."""
    chat = [Step("text", "/help"), Step("text", "/status"), Step("text", "申请码丢了怎么办")]
    return [Step("text", "/start"), *(chat[n % len(chat)] for n in range(steps))]


async def run(ocr: bool, uploaders: int, others: int, steps: int) -> dict[str, float]:
    """One run; the others' latency (ms) and the uploaders' seconds from photo to reply."""
    rng = random.Random(5)
    photos = [sample(random.Random(3000 + n), "licence").jpeg for n in range(uploaders)]
    os.environ["BENCH_OCR"] = "1" if ocr else "0"
    with tempfile.TemporaryDirectory(prefix="bench-ocr-load-") as folder:
        server = await _sandbox(uploaders + others)
        replies = Replies(server)
        bot = await BotProcess.start("merchant", server, Path(folder))
        try:
            # The others start first and keep going while the photos are read.
            talk = [
                converse(
                    server,
                    replies,
                    FIRST_USER + uploaders + n,
                    other_script(steps),
                    echo=False,
                    pause=(0.5, 1.5),
                    rng=rng,
                )
                for n in range(others)
            ]
            await asyncio.sleep(0.5)
            upload = [
                converse(
                    server,
                    replies,
                    FIRST_USER + n,
                    uploader_script(ocr, photos[n]),
                    echo=False,
                    pause=(0.2, 0.5),
                    rng=rng,
                )
                for n in range(uploaders)
            ]
            started = time.perf_counter()
            seen = await asyncio.gather(*talk, *upload)
            elapsed = time.perf_counter() - started
        finally:
            peak = await bot.stop()
            await server.stop()
    others_ms = [x * 1000 for s in seen[:others] for x in s.latencies]
    photo_s = [s.latencies[-2 if ocr else -1] for s in seen[others:] if len(s.latencies) >= 4]
    return {
        "others_updates": float(len(others_ms)),
        "others_p50_ms": percentile(others_ms, 0.5) if others_ms else 0.0,
        "others_p95_ms": percentile(others_ms, 0.95) if others_ms else 0.0,
        "others_p99_ms": percentile(others_ms, 0.99) if others_ms else 0.0,
        "photo_reply_p50_s": percentile(photo_s, 0.5) if photo_s else 0.0,
        "photo_reply_max_s": max(photo_s, default=0.0),
        "uploaders_done": float(sum(1 for s in seen[others:] if s.finished)),
        "seconds": elapsed,
        "bot_peak_rss_mb": peak,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Both runs; print and return the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--uploaders", type=int, default=10)
    parser.add_argument("--others", type=int, default=20)
    parser.add_argument("--steps", type=int, default=12, help="messages each other merchant sends")
    args = parser.parse_args(argv)
    figures = {
        mode: asyncio.run(run(mode == "with_ocr", args.uploaders, args.others, args.steps))
        for mode in ("without_ocr", "with_ocr")
    }
    for mode, values in figures.items():
        print(mode)
        for key, value in values.items():
            print(f"  {key:22} {value:10.2f}")
    return figures


if __name__ == "__main__":
    main()
