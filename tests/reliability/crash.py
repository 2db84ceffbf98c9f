"""The crash drill: merchants fill in the form while the bot process is SIGKILLed and restarted.

Used by tests/reliability/test_crash.py (reduced size) and bench/crash.py (full size: 50
merchants). The bot runs as a real separate process (`python -m bot run` with a token and
TELEGRAM_BASE_URL, as in production against a self-hosted Bot API server); the local Bot API
server and the simulated merchants run in this process.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.server import BotApiServer
from tests.e2e.application_steps import AGREE, INDIVIDUAL_ZH, Answer, is_consent
from tests.e2e.harness import ChatUser

STEP = re.compile(r"第 (\d+)/\d+ 步")
FIRST_MERCHANT = 60001


def answers_for(index: int) -> list[Answer]:
    """INDIVIDUAL_ZH with a merchant name of its own, so mix-ups between merchants show."""
    answers = list(INDIVIDUAL_ZH)
    answers[1] = Answer("text", f"杭州西湖第{index}号便利店")
    return answers


@dataclass
class Drill:
    """One run: where the bot keeps its data, and what happened."""

    data_dir: Path
    merchants: int
    kills: int
    seed: int = 7
    database_url: str | None = None  # PostgreSQL; None = a SQLite file in data_dir
    restarts: int = 0
    log: list[str] = field(default_factory=list)

    def env(self, server: BotApiServer) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
        env.update(
            BOT_TOKEN=server.token,  # the server answers only its own per-run token
            TELEGRAM_BASE_URL=server.base_url,
            TELEGRAM_FILE_BASE_URL=server.file_base_url,
            DATABASE_PATH=str(self.data_dir / "bot.sqlite3"),
            DATA_DIR=str(self.data_dir),
            POLL_TIMEOUT_SECONDS="1",
            LOG_LEVEL="WARNING",
            # The drill's answers follow the form without OCR prefill (which asks photos first).
            OCR_ENABLED="false",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env


def _log_file(drill: Drill):
    return (drill.data_dir / "bot.log").open("ab")


async def _spawn(drill: Drill, server: BotApiServer) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=drill.env(server),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=_log_file(drill),
    )


def _latest_step(user: ChatUser) -> int | None:
    """The step the newest question in the chat asks; 0 = the review page."""
    for message in reversed(user.server.messages(user.chat_id)):
        body = message.get("text") or ""
        if "请核对" in body:
            return 0
        match = STEP.search(body)
        if match:
            return int(match.group(1))
    return None


async def _wait_for_step(user: ChatUser, wanted: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if _latest_step(user) == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"merchant {user.user_id} never got step {wanted}")


async def _agree_to_notice(user: ChatUser, deadline: float) -> None:
    """Tap "I agree" on the privacy notice once it shows, then wait for step 1."""
    while time.monotonic() < deadline:
        if _latest_step(user) == 1:
            return
        notice = next(
            (m for m in reversed(user.server.messages(user.chat_id)) if is_consent(user, m)), None
        )
        if notice is not None:
            await user.press(AGREE["zh-CN"], notice)
            await _wait_for_step(user, 1, deadline)
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"merchant {user.user_id} never got the privacy notice")


async def _merchant(user: ChatUser, answers: list[Answer], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    await user.send("/apply")
    await _agree_to_notice(user, deadline)
    for number, answer in enumerate(answers, start=1):
        match answer.how:
            case "press":
                await user.press(str(answer.value))
            case "text":
                await user.send(str(answer.value))
            case "photo":
                await user.send_photo(bytes(answer.value))  # type: ignore[arg-type]
        await _wait_for_step(user, number + 1 if number < len(answers) else 0, deadline)


async def run_drill(drill: Drill, *, timeout: float = 240.0) -> dict[str, Any]:
    """Run the drill; return the bot's stored answers per merchant id, and figures."""
    server = BotApiServer("127.0.0.1", 0)
    await server.start()
    rng = random.Random(drill.seed)
    users = [ChatUser(server, FIRST_MERCHANT + i, f"商户{i}") for i in range(drill.merchants)]
    proc = await _spawn(drill, server)
    started = time.monotonic()
    try:
        fill = asyncio.gather(*(_merchant(u, answers_for(i), timeout) for i, u in enumerate(users)))
        fill_task = asyncio.ensure_future(fill)
        for _ in range(drill.kills):
            await asyncio.sleep(rng.uniform(0.8, 3.0))
            if fill_task.done():
                break
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            drill.restarts += 1
            proc = await _spawn(drill, server)
        await fill_task
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await server.stop()
    return {
        "merchants": drill.merchants,
        "restarts": drill.restarts,
        "seconds": round(time.monotonic() - started, 1),
    }


async def stored_answers(
    data_dir: Path, merchants: int, database_url: str | None = None
) -> dict[int, dict[str, Any] | None]:
    """Every merchant's draft answers as the bot stored them (decrypted)."""
    from bot.keys import keys_for
    from bot.settings import Settings
    from storage import Storage

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_path=data_dir / "bot.sqlite3",
        database_url=database_url,
        data_dir=data_dir,
    )
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    try:
        result: dict[int, dict[str, Any] | None] = {}
        async with storage.transaction() as repos:
            for user_id in range(FIRST_MERCHANT, FIRST_MERCHANT + merchants):
                draft = await repos.applications.draft_of(user_id)
                result[user_id] = draft.answers if draft else None
        return result
    finally:
        await storage.close()
