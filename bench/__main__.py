"""`make bench`: run every benchmark 5 times, each run in a fresh process; write BENCHMARKS.md.

    .venv/bin/python -m bench [--runs 5] [--only updates faq ...] [--output BENCHMARKS.md]

Each module's main() returns a dict of figures (nested dicts are flattened with dots). A
figure is reported as the median of the runs with the min–max range. Runs are separate
processes so that one benchmark's memory or warm caches never colour another's figures.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Machine, Module, Target, render

# In the order they run; a module that is not there yet is skipped and listed as such.
MODULES = ("updates", "faq", "summaries", "support", "load", "ocr")
TARGETS = (
    Target(
        "updates",
        "throughput_ratio",
        ">=",
        0.50,
        "merchant bot throughput ≥ 50% of echo's (issue 15)",
    ),
    Target("updates", "paced.bot.p99_ms", "<", 50, "reply latency p99 < 50 ms"),
    Target("updates", "rss.peak_rss_mb", "<", 200, "peak RSS with 10,000 merchants < 200 MB"),
    Target("faq", "ask_p95_ms", "<", 10, "FAQ answer p95 < 10 ms"),
    Target("faq", "build_cold_ms", "<", 1000, "FAQ index builds in < 1 s"),
    Target("summaries", "compute_render.total_s", "<", 5, "10,000 daily summaries in < 5 s"),
    Target("summaries", "push_limited.messages_per_s", ">=", 28, "summary push ≥ 28 messages/s"),
    Target("summaries", "push_limited.rejected_429", "<=", 0, "summary push without a 429"),
    Target("ocr", "exact_match.licence.credit_code", ">=", 0.95, "credit code read ≥ 95%"),
    Target("ocr", "exact_match.id_front.legal_rep_id", ">=", 0.95, "ID number read ≥ 95%"),
    Target("ocr", "exact_match.licence.merchant_name", ">=", 0.90, "company name read ≥ 90%"),
    Target("ocr", "exact_match.licence.legal_rep_name", ">=", 0.90, "legal rep. read ≥ 90%"),
    Target("ocr", "exact_match.licence.address", ">=", 0.90, "address read ≥ 90%"),
    Target("ocr", "exact_match.id_front.legal_rep_name", ">=", 0.90, "ID card name read ≥ 90%"),
    Target("ocr", "wrong_rate", "<=", 0.01, "wrong values proposed ≤ 1%"),
)
ROOT = Path(__file__).resolve().parent.parent


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """{"a": {"b": 1}} -> {"a.b": 1.0}; only numbers are figures."""
    flat: dict[str, float] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def run_once(name: str, out: Path) -> None:
    """In the child process: call bench.<name>.main() and write its figures as JSON."""
    main = importlib.import_module(f"bench.{name}").main
    params = list(inspect.signature(main).parameters)
    # Modules that parse flags take argv; give them none, so each runs with its defaults.
    figures = main([]) if params and params[0] == "argv" else main()
    out.write_text(json.dumps(figures, default=str), encoding="utf-8")


def collect(name: str, runs: int) -> Module:
    """Run one module `runs` times in fresh processes and summarise each figure."""
    module = Module(name, doc=_docstring(name))
    per_run: list[dict[str, float]] = []
    for n in range(1, runs + 1):
        print(f"\n=== bench.{name}: run {n} of {runs} ===", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "figures.json"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bench", "--one", name, "--json", str(out)], cwd=ROOT
            )
            module.seconds += time.perf_counter() - started
            if done.returncode != 0 or not out.exists():
                module.failed_runs += 1
                print(f"bench.{name} run {n} failed (exit code {done.returncode})", flush=True)
                continue
            per_run.append(flatten(json.loads(out.read_text(encoding="utf-8"))))
    for key in dict.fromkeys(k for figures in per_run for k in figures):
        values = [figures[key] for figures in per_run if key in figures]
        module.figures[key] = (statistics.median(values), min(values), max(values), len(values))
    return module


def _docstring(name: str) -> str:
    spec = importlib.util.find_spec(f"bench.{name}")
    if spec is None or spec.origin is None:
        return ""
    return ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or ""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=MODULES, metavar="NAME")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run_once(args.one, args.json)
        return 0

    machine = Machine.here()
    print(machine.describe(), flush=True)
    modules: list[Module] = []
    for name in args.only or MODULES:
        if importlib.util.find_spec(f"bench.{name}") is None:
            print(f"\nbench/{name}.py is not there: skipped", flush=True)
            modules.append(Module(name, absent=True))
            continue
        modules.append(collect(name, args.runs))
    args.output.write_text(render(machine, modules, TARGETS, args.runs), encoding="utf-8")
    print(f"\nwrote {args.output}", flush=True)
    return 1 if any(m.failed_runs for m in modules) else 0


if __name__ == "__main__":
    sys.exit(main())
