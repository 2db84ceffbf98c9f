"""The processes a bench measures: a bot from bench/bots.py in its own process, and where the
merchant bot keeps its data (a SQLite file, or a fresh database on a PostgreSQL server)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.procstat import cpu_seconds, postmaster_pid, server_cpu_seconds
from sandbox.server import BotApiServer

START_TIMEOUT = 60.0


class BotProcess:
    """A bot from bench/bots.py in its own process, polling the server."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def start(
        cls,
        kind: str,
        server: BotApiServer,
        workdir: Path,
        *,
        database_url: str | None = None,
        name: str | None = None,
    ) -> BotProcess:
        """Start it and wait until it polls (the merchant bot sets its commands first).
        database_url: the merchant bot's PostgreSQL database; None = a SQLite file in workdir."""
        log = workdir / f"{name or kind}-bot.log"
        env = {**os.environ, "BOT_TOKEN": server.token}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        with log.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.bots",
                kind,
                f"http://{server.host}:{server.port}",
                str(workdir),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
        bot = cls(process, log)
        assert process.stdout is not None
        try:  # it says "ready" once it polls
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            line = b""
        if line.strip() != b"ready":
            await bot.stop()
            raise RuntimeError(f"the {kind} bot did not start:\n{log.read_text()[-3000:]}")
        return bot

    def cpu_seconds(self) -> float:
        """CPU seconds it has used so far (0 without /proc)."""
        return cpu_seconds(self.process.pid) or 0.0

    def rss_mb(self, field: str = "VmRSS") -> float | None:
        """Its resident set size now (VmHWM: the peak so far) from /proc; None without /proc."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return None

    async def stop(self) -> float:
        """SIGTERM; returns its peak RSS in MB while it worked (0 if it had died)."""
        # Read before it shuts down, which is not the work being measured; without /proc,
        # the peak it reports on the way out (getrusage) is the fallback.
        peak = self.rss_mb("VmHWM") if self.process.returncode is None else None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(self.process.communicate(), 30)
        lines = out.decode().strip().splitlines()
        if peak is None and lines:
            peak = float(json.loads(lines[-1])["peak_rss_mb"])
        return peak or 0.0


@dataclass(frozen=True)
class Database:
    """Where the merchant bot keeps its data: a SQLite file in the run's folder, or a fresh
    database for each run on a PostgreSQL server (server_url)."""

    server_url: str | None = None

    @property
    def name(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    async def fresh(self) -> str | None:
        """A new, empty database's URL for one run; None on SQLite."""
        if self.server_url is None:
            return None
        from tests.postgres import fresh_database  # asyncpg only for PostgreSQL runs

        return await fresh_database(self.server_url)

    def server_cpu(self) -> float | None:
        """The PostgreSQL server's CPU seconds so far, when it runs on this machine."""
        pid = postmaster_pid(self.server_url) if self.server_url else None
        return server_cpu_seconds(pid) if pid else None


SQLITE = Database()
