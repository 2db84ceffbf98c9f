"""FAQ benchmark: index build time, ask latency over the dev set, and the eval figures.

Run with `.venv/bin/python -m bench.faq [QUESTIONS.yaml]`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from faq.cli import DEFAULT_QUESTIONS
from faq.evaluate import evaluate, format_report, load_questions
from faq.knowledge import load_knowledge_base
from faq.retrieval import FaqIndex

RUNS = 5


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str]) -> None:
    """Print build time, median/p95 ask latency (median of 5 runs) and accuracy."""
    path = Path(argv[0]) if argv else DEFAULT_QUESTIONS
    kb = load_knowledge_base()

    start = time.perf_counter()
    index = FaqIndex.build(kb)
    cold = time.perf_counter() - start
    # The second build reuses jieba's loaded dictionary, as any rebuild in a running bot would.
    start = time.perf_counter()
    FaqIndex.build(kb)
    warm = time.perf_counter() - start

    questions = load_questions(path)
    medians: list[float] = []
    p95s: list[float] = []
    for _ in range(RUNS):
        latencies: list[float] = []
        for item in questions:
            start = time.perf_counter()
            index.ask(item.q)
            latencies.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(latencies))
        p95s.append(_percentile(latencies, 0.95))

    print(f"knowledge base: {len(kb)} entries; questions: {path} ({len(questions)})")
    print(f"index build:    {cold * 1000:7.1f} ms cold (incl. jieba dictionary load)")
    print(f"                {warm * 1000:7.1f} ms warm")
    print(
        f"ask latency:    {statistics.median(medians):7.3f} ms median, "
        f"{statistics.median(p95s):.3f} ms p95 (median of {RUNS} runs)"
    )
    print(format_report(evaluate(index, path)))


if __name__ == "__main__":
    main(sys.argv[1:])
