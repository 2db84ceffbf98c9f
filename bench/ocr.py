"""OCR prefill: how often each field is read right, how often a wrong value would be proposed,
seconds per image, and what OCR costs the bot's memory.

    .venv/bin/python -m bench.ocr [--count 60] [--dev]

Reads the evaluation set of bench/ocr_images.py (60 licence, 60 ID-card front and 60 back
photos by default, a seed never used for tuning) through the bot's own DocumentReader: the
worker process, the time limit and the field rules the bot uses. A field counts as read when
the proposed value equals what was printed; a wrong proposal is a proposed value that differs
(the merchant would be shown it). Peak RSS is this process's (the bot's side: it imports the
bot first) before and after reading, and the worker's own peak, separately. The event loop's
lag (a 5 ms timer's lateness, p99) while photos are read, beside the same loop idle, shows
what OCR costs other merchants' replies.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from bench.ocr_images import Sample, development_set, evaluation_set
from bot.ocr.fields import subject_type

TODAY = date(2026, 12, 2)
FIELDS = {
    "licence": ("credit_code", "merchant_name", "subject_type", "legal_rep_name", "address"),
    "id_front": ("legal_rep_id", "legal_rep_name"),
    "id_back": ("id_valid_until",),
}


def expected(sample: Sample) -> dict[str, str]:
    """What the reader should propose for this photo."""
    t = sample.truth
    if sample.kind == "licence":
        return {
            "credit_code": t["credit_code"],
            "merchant_name": t["merchant_name"],
            "subject_type": subject_type(t["licence_type"]) or "",
            "legal_rep_name": t["legal_rep_name"],
            "address": t["address"],
        }
    if sample.kind == "id_front":
        return {"legal_rep_id": t["id_number"], "legal_rep_name": t["name"]}
    until = t["valid_until"]
    return {"id_valid_until": "long_term" if until == "长期" else until.replace(".", "-")}


class LoopLag:
    """How late the bot's event loop wakes a 5 ms timer: what every other merchant's reply
    waits for on top of its own work while OCR runs (or not)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.samples.append((time.perf_counter() - started - 0.005) * 1000)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    def p99_ms(self) -> float:
        ordered = sorted(self.samples)
        return round(ordered[int(0.99 * (len(ordered) - 1))], 2) if ordered else 0.0


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident set size in MB: this process's, or another's from /proc (VmHWM)."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(samples: list[Sample], verbose: bool) -> dict[str, object]:
    import bot.app  # noqa: F401  (the bot's own modules: its memory is the baseline)
    from bot.ocr import DocumentReader

    without_ocr = peak_rss_mb()
    reader = DocumentReader(enabled=True, limit_seconds=20.0)
    if not reader.enabled:
        raise SystemExit("rapidocr-onnxruntime is not installed")
    # Start the worker and load the models outside the timings (a real bot does it once).
    await reader.fields("licence", samples[0].jpeg, "image/jpeg", today=TODAY)
    with LoopLag() as idle:
        await asyncio.sleep(3)
    seconds: list[float] = []
    right: dict[str, int] = {}
    wrong: dict[str, int] = {}
    total: dict[str, int] = {}
    lag = LoopLag()
    for sample in samples:
        started = time.perf_counter()
        with lag:
            got = await reader.fields(sample.kind, sample.jpeg, "image/jpeg", today=TODAY)
        seconds.append(time.perf_counter() - started)
        for field, value in expected(sample).items():
            key = f"{sample.kind}.{field}"
            total[key] = total.get(key, 0) + 1
            if got.get(field) == value:
                right[key] = right.get(key, 0) + 1
            elif field in got:
                wrong[key] = wrong.get(key, 0) + 1
                if verbose:
                    print(f"  wrong {key}: {got[field]!r} != {value!r}", file=sys.stderr)
            elif verbose:
                print(f"  missed {key}: {value!r}", file=sys.stderr)
    worker = max((peak_rss_mb(pid) for pid in reader.worker_pids), default=0.0)
    with_ocr = peak_rss_mb()
    reader.close()
    proposed = sum(right.values()) + sum(wrong.values())
    seconds.sort()
    return {
        "images": len(samples),
        "exact_match": {key: round(right.get(key, 0) / n, 3) for key, n in total.items()},
        "wrong_proposals": {key: wrong.get(key, 0) for key in total},
        "wrong_rate": round(sum(wrong.values()) / max(proposed, 1), 4),
        "seconds_p50": round(statistics.median(seconds), 3),
        "seconds_p95": round(seconds[int(0.95 * (len(seconds) - 1))], 3),
        "bot_peak_rss_mb": {"without_ocr": round(without_ocr, 1), "with_ocr": round(with_ocr, 1)},
        "worker_peak_rss_mb": round(worker, 1),
        "loop_lag_p99_ms": {"idle": idle.p99_ms(), "while_reading": lag.p99_ms()},
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="photos of each kind")
    parser.add_argument("--dev", action="store_true", help="the development set instead")
    parser.add_argument("--verbose", action="store_true", help="list misses (dev set only)")
    args = parser.parse_args(argv)
    samples = development_set(args.count) if args.dev else evaluation_set(args.count)
    figures = asyncio.run(measure(samples, args.verbose and args.dev))
    for key, value in figures.items():
        if isinstance(value, dict):
            for sub, figure in value.items():
                print(f"{key}.{sub:32} {figure}")
        else:
            print(f"{key:40} {value}")
    return figures


if __name__ == "__main__":
    main()
