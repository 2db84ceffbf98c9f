"""Several `merchant-bot run` processes on one PostgreSQL database, killed on purpose.

Used by tests/reliability/test_failover.py (2 instances, 24 merchants) and bench/failover.py
(3 instances, hundreds of merchants). The instances are real separate processes against the
local Bot API server running in this process, as in crash.py.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from bot.cluster import APPLICATION_NAME, LEADER_LOCK
from sandbox.server import BotApiServer

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_SHOP = 80001


@dataclass
class Fleet:
    """The instances of one run: their settings, processes and log file."""

    server: BotApiServer
    database_url: str
    data_dir: Path
    settings: dict[str, str] = field(default_factory=dict)
    key: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
        env.update(
            BOT_TOKEN=self.server.token,
            TELEGRAM_BASE_URL=self.server.base_url,
            TELEGRAM_FILE_BASE_URL=self.server.file_base_url,
            DATABASE_URL=self.database_url,
            DATA_DIR=str(self.data_dir),  # shared: documents are on a shared volume in production
            ENCRYPTION_KEY=self.key,  # every instance must have the same keys
            POLL_TIMEOUT_SECONDS="1",
            OCR_ENABLED="false",  # the form as typed (crash.answers_for), not read off photos
            LOG_LEVEL="INFO",
            **self.settings,
        )
        return env

    async def spawn(self, **settings: str) -> asyncio.subprocess.Process:
        """Start one more `merchant-bot run` (with settings of its own, e.g. its port)."""
        log = (self.data_dir / "bots.log").open("ab")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env={**self.env(), **settings},
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        self.processes.append(proc)
        return proc

    def kill(self, pid: int) -> None:
        """SIGKILL one instance: no goodbye, its connections simply drop."""
        os.kill(pid, signal.SIGKILL)

    async def reaped(self, pid: int) -> None:
        """Wait until a killed instance has really gone (it can change nothing after this)."""
        for proc in self.processes:
            if proc.pid == pid:
                await proc.wait()

    async def stop(self) -> None:
        """Stop whatever still runs (SIGTERM, then SIGKILL after 15 s)."""
        for proc in self.processes:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    def log_text(self) -> str:
        path = self.data_dir / "bots.log"
        return path.read_text(errors="replace") if path.exists() else ""


async def instances(database_url: str) -> dict[int, bool]:
    """OS pid of every instance connected for the election -> whether it holds the lead."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT a.application_name AS name, EXISTS (SELECT 1 FROM pg_locks l"
            " WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid) AS leads"
            " FROM pg_stat_activity a WHERE a.application_name LIKE $3",
            LEADER_LOCK >> 32,
            LEADER_LOCK & 0xFFFFFFFF,
            APPLICATION_NAME + "%",
        )
    finally:
        await conn.close()
    return {int(r["name"].removeprefix(APPLICATION_NAME).split("@")[0]): r["leads"] for r in rows}


async def wait_for(condition, timeout: float, what: str, every: float = 0.02):
    """Poll an async condition until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = await condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(every)


async def seed_shops(database_url: str, key: str, count: int) -> list[int]:
    """`count` merchants linked to Telegram ids FIRST_SHOP.., whose summary for yesterday
    (Shanghai) is due now (late: they joined just before yesterday ended); their ids."""
    from bot.keys import keys_for
    from bot.settings import Settings
    from storage import Storage
    from storage.merchants import MerchantRepository

    settings = Settings(_env_file=None, database_url=database_url, encryption_key=key)  # type: ignore[call-arg]
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    midnight = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    joined = (midnight - timedelta(hours=1)).astimezone(UTC).isoformat()  # stored as UTC text
    ids = [FIRST_SHOP + n for n in range(count)]
    try:
        async with storage.transaction() as repos:
            for n, telegram_id in enumerate(ids):
                merchant_no = f"8223301{50000000 + n:08d}"
                await MerchantRepository(repos.tx).create(
                    merchant_no, f"店{n}", telegram_id, "Asia/Shanghai"
                )
                await repos.tx.execute(
                    "UPDATE merchants SET created_at = ?, summary_time = '23:59'"
                    " WHERE merchant_no = ?",
                    (joined, merchant_no),
                )
    finally:
        await storage.close()
    return ids


async def summary_states(database_url: str) -> dict[str, int]:
    """How many summary deliveries are in each state."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT state, COUNT(*) AS n FROM summary_deliveries GROUP BY state"
        )
    finally:
        await conn.close()
    return {r["state"]: r["n"] for r in rows}


def summaries_in(server: BotApiServer, chat_id: int) -> list[str]:
    """The daily summaries the bot sent to one chat."""
    return [
        m.get("text", "")
        for m in server.messages(chat_id)
        if "日结算单" in m.get("text", "") or "daily settlement" in m.get("text", "")
    ]
