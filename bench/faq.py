"""FAQ benchmark: index build time, ask latency, memory and the eval totals per question set.

    .venv/bin/python -m bench.faq [QUESTIONS.yaml]

Without an argument it measures the dev set and every held-out set (faq/eval/heldout*.yaml):
latency over all their questions together, and per set the totals only (top-1, right topic
ranked first, off-topic abstained, abstention precision), never individual misses (those
are `merchant-bot faq eval`'s job).

Targets (issue 5): p95 < 10 ms per question with the index loaded; the index builds at
start-up in < 1 s; issue 16: peak memory no more than before (bot_peak_rss_mb: a fresh
process that builds the index once and answers the set, as the bot does). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from faq.cli import DEFAULT_QUESTIONS, HELD_OUT_SETS
from faq.evaluate import EvalReport, evaluate, load_questions
from faq.knowledge import load_knowledge_base
from faq.retrieval import FaqIndex

RUNS = 5
# The bot's own footprint: a fresh process that imports the FAQ, builds the index once and
# answers the question set, as the bot does; its peak RSS is what "memory" means in the
# issue. (This process builds three times under tracemalloc, which inflates its own peak.)
_BOT_LIKE = """
import resource, sys
from faq.evaluate import load_questions
from faq.knowledge import load_knowledge_base
from faq.retrieval import FaqIndex
from pathlib import Path
index = FaqIndex.build(load_knowledge_base())
for item in load_questions(Path(sys.argv[1])):
    index.ask(item.q, {"zh": "zh-CN", "en": "en"}[item.lang])
# VmHWM is this process's own peak; ru_maxrss keeps the parent's peak across fork and exec,
# so it reported the benchmark's footprint, not the bot's (seventeenth round).
try:
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
    print(int(hwm[0].split()[1]) / 1024)
except (OSError, IndexError):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def bot_peak_rss_mb(path: Path) -> float:
    """Peak RSS (MB) of a fresh process that builds the index once and answers the set."""
    done = subprocess.run(
        [sys.executable, "-c", _BOT_LIKE, str(path)], capture_output=True, text=True, check=True
    )
    return float(done.stdout.split()[-1])


_HINTS = {"zh": "zh-CN", "en": "en"}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Measure and print; returns the figures (milliseconds, shares) for a collecting runner."""
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(args[0])] if args else [DEFAULT_QUESTIONS, *HELD_OUT_SETS]
    path = paths[0]
    kb = load_knowledge_base()

    start = time.perf_counter()
    index = FaqIndex.build(kb)
    cold = time.perf_counter() - start
    # The second build reuses jieba's loaded dictionary, as any rebuild in a running bot would.
    start = time.perf_counter()
    FaqIndex.build(kb)
    warm = time.perf_counter() - start
    # Memory the index itself holds (Python allocations of one more build, jieba's
    # dictionary already loaded), and the process's peak RSS so far.
    tracemalloc.start()
    kept = FaqIndex.build(kb)
    index_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del kept
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    questions = [item for p in paths for item in load_questions(p)]
    # The first question after start-up pays for anything loaded lazily.
    start = time.perf_counter()
    index.ask(questions[0].q, _HINTS[questions[0].lang])
    first = time.perf_counter() - start
    medians: list[float] = []
    p95s: list[float] = []
    for _ in range(RUNS):
        latencies: list[float] = []
        for item in questions:
            # Ask as the chat does: with the merchant's locale as the hint.
            start = time.perf_counter()
            index.ask(item.q, _HINTS[item.lang])
            latencies.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(latencies))
        p95s.append(_percentile(latencies, 0.95))
    reports = {p.stem: evaluate(index, p) for p in paths}
    report = reports[path.stem]

    bot_rss_mb = bot_peak_rss_mb(path)
    figures = {
        "entries": float(len(kb)),
        "questions": float(len(questions)),
        "build_cold_ms": cold * 1000,
        "build_warm_ms": warm * 1000,
        "index_peak_mb": index_mb,
        "peak_rss_mb": peak_rss_mb,
        "bot_peak_rss_mb": bot_rss_mb,
        "first_ask_ms": first * 1000,
        "ask_median_ms": statistics.median(medians),
        "ask_p95_ms": statistics.median(p95s),
        "top1_accuracy": report.top1_accuracy,
        "off_topic_abstained": report.abstention_recall,
        "sets": {name: _totals(r) for name, r in reports.items()},
    }
    names = ", ".join(p.name for p in paths)
    print(f"knowledge base: {len(kb)} entries; questions: {len(questions)} ({names})")
    print(f"index build:    {figures['build_cold_ms']:7.1f} ms cold (incl. jieba dictionary load)")
    print(f"                {figures['build_warm_ms']:7.1f} ms warm")
    print(
        f"memory:         {index_mb:7.1f} MB traced while building the index (peak), "
        f"{peak_rss_mb:.0f} MB peak RSS of the process"
    )
    print(f"                {bot_rss_mb:7.1f} MB peak RSS of a process that builds once and asks")
    print(f"first ask:      {figures['first_ask_ms']:7.3f} ms")
    print(
        f"ask latency:    {figures['ask_median_ms']:7.3f} ms median, "
        f"{figures['ask_p95_ms']:.3f} ms p95 (median of {RUNS} runs)"
    )
    header = ("set", "top-1", "ranked first", "off-topic abstained", "precision")
    print(f"{header[0]:<16} {header[1]:>15} {header[2]:>13} {header[3]:>20} {header[4]:>10}")
    for name, r in reports.items():
        print(
            f"{name:<16} {r.top1_accuracy:6.1%} ({r.correct:>3}/{r.answerable:<3}) "
            f"{_share(r.ranked_first, r.answerable):>13} "
            f"{r.abstention_recall:11.1%} ({r.abstained_off_topic:>2}/{r.off_topic:<2}) "
            f"{r.abstention_precision:10.1%}"
        )
    return figures


def _totals(report: EvalReport) -> dict[str, float]:
    return {
        "top1_accuracy": report.top1_accuracy,
        "ranked_first": report.ranked_first / report.answerable if report.answerable else 0.0,
        "off_topic_abstained": report.abstention_recall,
        "abstention_precision": report.abstention_precision,
    }


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


if __name__ == "__main__":
    main()
