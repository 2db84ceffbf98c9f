"""Benchmark: merchants onboarding beside a bare PTB echo bot (~420 lines: one run's parts).

The merchants talk to the local Bot API server; the bots run as processes of their own.

    .venv/bin/python -m bench.updates [--merchants 200] [--pause 1 3] [--rss-merchants 10000]
    .venv/bin/python -m bench.updates --small     # 20 merchants, 1,000 for RSS: a quick look
    .venv/bin/python -m bench.updates --database postgresql [--instances 2]
    .venv/bin/python -m bench.updates --parts throughput   # only part 1 (CPU per update)

Each bot is its own process long-polling the server, as in production (bench/bots.py); the
server and the simulated merchants share this process. A merchant sends the whole onboarding
conversation: /start, /apply, "I agree" to the privacy notice, the 17 answers of an individual
business (photos included) and 确认提交. Reply latency is timed at the server, from the moment
an update is queued to the moment the reply the merchant waits for is stored: the next prompt
(for the echo bot's button presses, the callback answer, which is all it sends).

1. Throughput: every merchant at once, each answering as soon as the bot replies: updates/s,
   and the latency of a bot that is never idle (mostly time spent queued).
2. Latency: the same conversations with a person's pause of 1–3 s (--pause) before each
   answer, about 85 updates/s offered: under half of what the bot handles flat out.
3. Peak RSS of the bot process with --rss-merchants merchants and their Telegram users in its
   database, every one of whom then sends /start.

The merchant bot runs with Telegram's flood limits switched off in PTB's AIORateLimiter
(30 messages/s overall, 20 a minute per group): they would measure Telegram, not the bot,
and the echo bot has none. The echo bot is PTB's defaults: Updater, one update at a time.

--database postgresql puts the merchant bot's data on a throwaway PostgreSQL server (initdb
into a temporary folder, as tests/postgres.py starts it for the tests; TEST_DATABASE_URL names
one of yours instead), a fresh database for each part. --instances N runs N merchant bot
processes on one database. Each part reports the CPU seconds per 1,000 updates of the bots
(summed over instances) and of the PostgreSQL server (its postmaster and every backend, from
/proc; only for the throwaway server), so the bot's cost per update is comparable with the echo
bot's even on a machine shared with other work.

Targets (issue 15): on SQLite, throughput >= 0.5 of the echo bot's in the same run, with p99
< 50 ms at a person's pace; on PostgreSQL, one instance within 80% of SQLite's throughput;
peak RSS < 200 MB (issue 9, whose 0.70 throughput target issue 15 replaced).
Prints figures; asserts nothing. main() returns them for `python -m bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bots import BENCH_REVIEW_CHAT, BENCH_SUPPORT_CHAT, merchant_settings
from bench.processes import SQLITE, BotProcess, Database
from bot.keys import keys_for
from sandbox.server import BotApiServer
from storage import Storage
from storage.db import utcnow
from tests.e2e.application_steps import INDIVIDUAL_ZH

FIRST_USER = 3_000_001
REPLY_TIMEOUT = 60.0  # seconds a merchant waits before giving up on the bot
SUBMITTED = "申请已提交"
PARTS = ("throughput", "paced", "rss")


@dataclass(frozen=True)
class Step:
    """One thing a merchant does, and how many new bot messages answer it."""

    how: str  # "text" | "press" | "photo"
    value: str | bytes
    replies: int = 1


def onboarding() -> list[Step]:
    """The full conversation of an individual business, as tests/e2e walks it."""
    # /apply: the introduction and the privacy notice; "I agree": question 1.
    steps = [Step("text", "/start"), Step("text", "/apply", replies=2), Step("press", "我同意")]
    steps += [Step(a.how, a.value) for a in INDIVIDUAL_ZH]
    return [*steps, Step("press", "确认提交")]


def echo_script() -> list[Step]:
    """The same kinds of update in the same order, for the echo bot (whose button is 👍)."""
    return [Step(s.how, "👍" if s.how == "press" else s.value) for s in onboarding()]


@dataclass
class Wait:
    """A merchant waiting for `count` bot events of one kind in their chat."""

    kind: str
    count: int
    done: asyncio.Future[float]
    first: float | None = None
    last_text: str = ""


class Replies:
    """Times the bot's replies the moment the server stores them (a SandboxState observer)."""

    def __init__(self, server: BotApiServer) -> None:
        self.waiting: dict[int, Wait] = {}
        server.state.observers.append(self._seen)

    def expect(self, chat_id: int, kind: str, count: int) -> Wait:
        """Register before acting, so that no reply can slip past."""
        wait = Wait(kind, count, asyncio.get_running_loop().create_future())
        self.waiting[chat_id] = wait
        return wait

    def _seen(self, entry: dict[str, Any]) -> None:
        if entry["actor"] != "bot":
            return
        wait = self.waiting.get(entry["chat_id"])
        if wait is None or entry["kind"] != wait.kind:
            return
        now = time.perf_counter()
        if wait.first is None:
            wait.first = now
        message = entry.get("message") or {}
        wait.last_text = message.get("text") or message.get("caption") or ""
        wait.count -= 1
        if wait.count == 0:
            del self.waiting[entry["chat_id"]]
            if not wait.done.done():
                wait.done.set_result(now)


def _button(server: BotApiServer, chat_id: int, label: str) -> tuple[int, str]:
    """The newest bot message in the chat with a button labelled `label`."""
    for message in reversed(server.messages(chat_id)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if label in button["text"] and "callback_data" in button:
                    return message["message_id"], button["callback_data"]
    raise LookupError(f"no button {label!r} in chat {chat_id}")


async def act(server: BotApiServer, user_id: int, step: Step) -> None:
    """Send the step as the merchant: the server queues the update at once."""
    if step.how == "text":
        await server.send_text(user_id, str(step.value))
    elif step.how == "photo":
        await server.send_photo(user_id, bytes(step.value))  # type: ignore[arg-type]
    else:
        message_id, data = _button(server, user_id, str(step.value))
        await server.press_button(user_id, message_id, data)


@dataclass
class Conversation:
    """What one merchant saw: a latency per step, and whether they got to the end."""

    latencies: list[float] = field(default_factory=list)
    finished: bool = False
    last_text: str = ""


async def converse(
    server: BotApiServer,
    replies: Replies,
    user_id: int,
    steps: list[Step],
    *,
    echo: bool,
    pause: tuple[float, float] | None,
    rng: random.Random,
) -> Conversation:
    """One merchant's whole conversation, step after step, each after the bot answered."""
    seen = Conversation()
    for step in steps:
        if pause:
            await asyncio.sleep(rng.uniform(*pause))
        kind = "callback_answer" if echo and step.how == "press" else "message"
        wait = replies.expect(user_id, kind, step.replies)
        sent = time.perf_counter()
        try:
            await act(server, user_id, step)
            await asyncio.wait_for(wait.done, REPLY_TIMEOUT)
        except (TimeoutError, LookupError, ValueError):
            replies.waiting.pop(user_id, None)
            return seen
        assert wait.first is not None
        seen.latencies.append(wait.first - sent)
        seen.last_text = wait.last_text
    seen.finished = True
    return seen


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def _sandbox(users: int) -> BotApiServer:
    server = BotApiServer("127.0.0.1", 0)
    await server.start()
    server.add_group(BENCH_REVIEW_CHAT, "审核群")
    server.add_group(BENCH_SUPPORT_CHAT, "客服群")
    for n in range(users):
        server.add_user(FIRST_USER + n, f"商户{n}", language_code="zh-hans")
    return server


async def conversations(
    kind: str,
    merchants: int,
    pause: tuple[float, float] | None,
    *,
    database: Database = SQLITE,
    instances: int = 1,
) -> dict[str, float]:
    """Every merchant's conversation with one bot (or `instances` merchant bot processes on one
    database); figures in updates/s, milliseconds and CPU seconds per 1,000 updates."""
    echo = kind == "echo"
    steps = echo_script() if echo else onboarding()
    rng = random.Random(9)
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as folder:
        server = await _sandbox(merchants)
        replies = Replies(server)
        url = None if echo else await database.fresh()
        bots: list[BotProcess] = []
        try:
            for n in range(1 if echo else instances):
                bots.append(
                    await BotProcess.start(
                        kind, server, Path(folder), database_url=url, name=f"{kind}{n}"
                    )
                )
            cpu_before = sum(b.cpu_seconds() for b in bots)
            db_before = None if echo else database.server_cpu()
            started = time.perf_counter()
            seen = await asyncio.gather(
                *(
                    converse(
                        server, replies, FIRST_USER + n, steps, echo=echo, pause=pause, rng=rng
                    )
                    for n in range(merchants)
                )
            )
            elapsed = time.perf_counter() - started
            bot_cpu = sum(b.cpu_seconds() for b in bots) - cpu_before
            db_after = None if echo else database.server_cpu()
        finally:
            peaks = [await b.stop() for b in bots]
            await server.stop()
    latencies = [x * 1000 for s in seen for x in s.latencies]
    done = sum(1 for s in seen if s.finished and (echo or SUBMITTED in s.last_text))
    per_1000 = 1000 / max(len(latencies), 1)
    figures = {
        "updates": float(len(latencies)),
        "updates_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) if latencies else 0.0,
        "p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
        "p99_ms": percentile(latencies, 0.99) if latencies else 0.0,
        "completed": float(done),
        "seconds": elapsed,
        "peak_rss_mb": max(peaks, default=0.0),
        "cpu_s_per_1000": bot_cpu * per_1000,
    }
    if db_before is not None and db_after is not None:
        figures["db_cpu_s_per_1000"] = (db_after - db_before) * per_1000
    return figures


async def _fill_merchants(storage: Storage, count: int) -> None:
    """`count` merchants linked to as many Telegram users, in one transaction."""
    now = utcnow().isoformat()
    async with storage.transaction() as repos:
        await repos.tx.executemany(
            "INSERT INTO users (telegram_id, first_name, language_code, created_at, updated_at)"
            " VALUES (?, ?, 'zh-hans', ?, ?)",
            ((FIRST_USER + n, f"商户{n}", now, now) for n in range(count)),
        )
        # Summaries off: the scheduled push is bench/summaries.py's subject, not this one's.
        await repos.tx.executemany(
            "INSERT INTO merchants (merchant_no, telegram_id, name, timezone,"
            " summaries_enabled, created_at) VALUES (?, ?, ?, 'Asia/Shanghai', 0, ?)",
            (
                (f"{822330200000001 + n:015d}", FIRST_USER + n, f"商户{n}", now)
                for n in range(count)
            ),
        )


async def memory(merchants: int, database: Database = SQLITE) -> dict[str, float]:
    """The bot's RSS with `merchants` in its database: idle, then after each sent /start."""
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as folder:
        workdir = Path(folder)
        url = await database.fresh()
        settings = merchant_settings("http://unused", workdir, database_url=url)
        storage = Storage(settings.database, keys_for(settings))
        await storage.open()
        await _fill_merchants(storage, merchants)
        await storage.close()
        server = await _sandbox(merchants)
        replies = Replies(server)
        bot = await BotProcess.start("merchant", server, workdir, database_url=url)
        try:
            idle = bot.rss_mb() or 0.0
            waits = []
            started = time.perf_counter()
            for n in range(merchants):
                waits.append(replies.expect(FIRST_USER + n, "message", 1).done)
                await server.send_text(FIRST_USER + n, "/start")
            answered = 0
            try:
                for wait in asyncio.as_completed(waits, timeout=max(60.0, merchants / 20)):
                    await wait
                    answered += 1
            except TimeoutError:
                pass  # reported as fewer answered
            elapsed = time.perf_counter() - started
        finally:
            peak = await bot.stop()
            await server.stop()
    return {
        "merchants": float(merchants),
        "idle_rss_mb": idle,
        "peak_rss_mb": peak,
        "answered": float(answered),
        "start_updates_per_s": answered / elapsed,
    }


def _line(label: str, f: dict[str, float]) -> str:
    db = f.get("db_cpu_s_per_1000")
    return (
        f"  {label:<14} {f['updates_per_s']:7.1f} updates/s   latency p50 {f['p50_ms']:6.1f}"
        f"  p95 {f['p95_ms']:6.1f}  p99 {f['p99_ms']:6.1f} ms   peak RSS {f['peak_rss_mb']:5.1f} MB"
        f"   CPU {f['cpu_s_per_1000']:4.1f} s/1000 updates"
        + (f" (+ PostgreSQL {db:4.1f})" if db is not None else "")
    )


async def run_all(args: argparse.Namespace) -> dict[str, Any]:
    """All three parts; the echo bot goes first in each, so neither always runs warm."""
    with ExitStack() as stack:
        database = SQLITE
        if args.database == "postgresql":
            # A throwaway server, as the tests start one (or TEST_DATABASE_URL's).
            from tests.postgres import cluster

            database = Database(stack.enter_context(cluster()))
        return await _run_all(args, database)


async def _run_all(args: argparse.Namespace, database: Database) -> dict[str, Any]:
    pause = (args.pause[0], args.pause[1])
    figures: dict[str, Any] = {"database": database.name, "instances": args.instances}
    bot_label = "merchant bot" if args.instances == 1 else f"{args.instances} instances"
    print(f"merchant bot on {database.name}, {args.instances} instance(s)")
    for phase, wait in (("throughput", None), ("paced", pause)):
        if phase not in args.parts:
            continue
        echo = await conversations("echo", args.merchants, wait)
        bot = await conversations(
            "merchant", args.merchants, wait, database=database, instances=args.instances
        )
        figures[phase] = {"bot": bot, "echo": echo}
        how = "no pause" if wait is None else f"a {wait[0]:g}–{wait[1]:g} s pause before each"
        print(f"{phase}: {args.merchants} merchants x {len(onboarding())} updates, {how}")
        print(_line(bot_label, bot))
        print(_line("echo bot", echo))
        print(f"  completed      {bot['completed']:.0f} of {args.merchants} applications submitted")
    if "throughput" not in figures:
        return figures
    ratio = (
        figures["throughput"]["bot"]["updates_per_s"]
        / figures["throughput"]["echo"]["updates_per_s"]
    )
    figures["throughput_ratio"] = ratio
    cpu = figures["throughput"]["echo"]["cpu_s_per_1000"] / max(
        figures["throughput"]["bot"]["cpu_s_per_1000"], 1e-9
    )
    figures["cpu_ratio"] = cpu
    print(f"throughput ratio (merchant bot / echo bot): {ratio:.2f}  (target >= 0.50)")
    print(f"CPU per update, echo bot / merchant bot: {cpu:.2f}")
    if "rss" not in args.parts:
        return figures
    rss = await memory(args.rss_merchants, database)
    figures["rss"] = rss
    print(
        f"memory: {args.rss_merchants} merchants in the database: {rss['idle_rss_mb']:.1f} MB"
        f" idle, peak {rss['peak_rss_mb']:.1f} MB after {rss['answered']:.0f} /start"
        f" ({rss['start_updates_per_s']:.0f} updates/s)  (target < 200 MB)"
    )
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the flags, run, print and return the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--pause", type=float, nargs=2, default=[1.0, 3.0], metavar=("MIN", "MAX"))
    parser.add_argument("--rss-merchants", type=int, default=10_000)
    parser.add_argument("--small", action="store_true", help="20 merchants, 1,000 for RSS")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--instances", type=int, default=1, help="merchant bot processes on one database"
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=list(PARTS),
        help="which parts to run (all three by default)",
    )
    args = parser.parse_args(argv)
    if args.small:
        args.merchants, args.rss_merchants = 20, 1_000
    return asyncio.run(run_all(args))


if __name__ == "__main__":
    main()
