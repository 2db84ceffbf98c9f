"""BENCHMARKS.md: the machine, the date, every figure as median (min–max) and the targets."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# The machines this project runs on share their cores with other work; say so next to
# every figure rather than let a reader take them for a quiet dedicated box.
SHARED_NOTE = (
    "The machine's cores are shared: other work (other engineers' test runs) may have run "
    "at the same time, so figures from one `make bench` to the next can differ by 10–20%."
)


@dataclass(frozen=True)
class Machine:
    """What the figures were measured on."""

    cpu: str
    cores: int
    memory_gib: float
    python: str
    system: str
    when: datetime

    @classmethod
    def here(cls) -> Machine:
        """This machine, now."""
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 0,
            memory_gib=_memory_gib(),
            python=f"{platform.python_implementation()} {platform.python_version()}",
            system=platform.platform(terse=True),
            when=datetime.now(UTC),
        )

    def describe(self) -> str:
        """One line for the console."""
        return (
            f"{self.cpu}, {self.cores} cores, {self.memory_gib:.0f} GiB, {self.python},"
            f" {self.system}"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


@dataclass(frozen=True)
class Target:
    """A figure's target from the issues: `key op threshold` on the median."""

    module: str
    key: str
    op: str  # ">=" | "<" | "<="
    threshold: float
    label: str

    def met(self, value: float) -> bool:
        """Whether the value meets the target."""
        if self.op == ">=":
            return value >= self.threshold
        if self.op == "<":
            return value < self.threshold
        return value <= self.threshold


@dataclass
class Module:
    """One benchmark module's figures: key -> (median, min, max, runs)."""

    name: str
    doc: str = ""
    absent: bool = False
    failed_runs: int = 0
    seconds: float = 0.0
    figures: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)


def unit(key: str) -> str:
    """The unit a figure's name ends with."""
    for suffix, name in (
        ("per_s", "/s"),
        ("seconds", "s"),
        ("_ms", "ms"),
        ("_mb", "MB"),
        ("_s", "s"),
        ("ratio", "×"),
        ("accuracy", "share"),
        ("abstained", "share"),
    ):
        if key.endswith(suffix):
            return name
    return ""


def number(value: float) -> str:
    """Few digits for big numbers, more for small ones."""
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _description(doc: str) -> str:
    """The docstring without its usage lines (indented command lines)."""
    usage = re.compile(r"^\s{4,}(\S*python|make|\[)")
    kept = [line for line in doc.splitlines() if not usage.match(line)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


_READABLE = {
    "updates": "updates sent",
    "updates_per_s": "updates/s",
    "p50_ms": "reply latency p50 (ms)",
    "p95_ms": "reply latency p95 (ms)",
    "p99_ms": "reply latency p99 (ms)",
    "completed": "conversations completed",
    "seconds": "wall time (s)",
    "peak_rss_mb": "peak RSS (MB)",
}


def _side_by_side(module: Module) -> list[str]:
    """`<phase>.bot.<figure>` next to `<phase>.echo.<figure>`: the bot against the floor."""
    pairs = [
        (key, key.replace(".bot.", ".echo."))
        for key in module.figures
        if ".bot." in key and key.replace(".bot.", ".echo.") in module.figures
    ]
    if not pairs:
        return []
    lines = [
        "| figure (median) | merchant bot | bare PTB echo bot | bot / echo |",
        "| --- | ---: | ---: | ---: |",
    ]
    for bot_key, echo_key in pairs:
        bot, echo = module.figures[bot_key][0], module.figures[echo_key][0]
        ratio = f"{bot / echo:.2f}" if echo else "–"
        phase, figure = bot_key.split(".bot.", 1)
        label = f"{phase}: {_READABLE.get(figure, figure)}"
        lines.append(f"| {label} | {number(bot)} | {number(echo)} | {ratio} |")
    return [*lines, ""]


def render(machine: Machine, modules: list[Module], targets: tuple[Target, ...], runs: int) -> str:
    """The whole BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {machine.when:%Y-%m-%d %H:%M} UTC. Every figure is the"
        f" median of {runs} runs, each in a fresh process, followed by the min–max range."
        " Targets are checked against the median.",
        "",
        "| machine | |",
        "| --- | --- |",
        f"| CPU | {machine.cpu} |",
        f"| cores | {machine.cores} (shared) |",
        f"| memory | {machine.memory_gib:.1f} GiB |",
        f"| Python | {machine.python} |",
        f"| system | {machine.system} |",
        "",
        SHARED_NOTE,
        "",
        "## Targets",
        "",
        "| target | median | |",
        "| --- | ---: | --- |",
    ]
    present = {m.name: m for m in modules if not m.absent}
    for target in targets:
        module = present.get(target.module)
        if module is None or target.key not in module.figures:
            continue
        median = module.figures[target.key][0]
        verdict = "met" if target.met(median) else "**missed**"
        lines.append(f"| {target.label} | {number(median)} {unit(target.key)} | {verdict} |")
    for module in modules:
        lines += ["", f"## bench/{module.name}.py", ""]
        if module.absent:
            lines.append("Not in this checkout yet: skipped.")
            continue
        if module.doc:
            lines += ["```text", _description(module.doc), "```", ""]
        status = f"{runs - module.failed_runs} of {runs} runs succeeded"
        lines += [f"{status}, {module.seconds:.0f} s in all.", ""]
        if not module.figures:
            continue
        lines += _side_by_side(module)
        lines += ["| figure | median | min–max | unit |", "| --- | ---: | ---: | --- |"]
        for key, (median, low, high, _) in module.figures.items():
            spread = number(low) if low == high else f"{number(low)}–{number(high)}"
            lines.append(f"| {key} | {number(median)} | {spread} | {unit(key)} |")
    return "\n".join(lines) + "\n"
