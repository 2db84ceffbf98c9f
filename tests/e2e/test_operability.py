"""What an operator sees: /healthz, /readyz and /metrics over HTTP, and start-up failures."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web

from bot.keys import keys_for
from bot.ops import start_ops
from bot.settings import Settings
from sandbox.server import BotApiServer
from storage import Storage
from storage.db import utcnow
from tests.e2e.conftest import BotRunner
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def ops_http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def serve_ops(settings: Settings, bot_data: object) -> tuple[web.AppRunner, str]:
    runner = await start_ops(settings.model_copy(update={"ops_port": 0}), bot_data)
    assert runner is not None
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def sample(text: str, name: str) -> float:
    """The value of one metric line in Prometheus text format (labels included in name)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics:\n{text}")


@on_both_backends
async def test_health_ready_and_metrics_of_a_running_bot(
    server: BotApiServer, bot_settings: Settings, run_bot: BotRunner, ops_http
) -> None:
    app = await run_bot(bot_settings)
    # One process on SQLite; on PostgreSQL the only instance, so the leader.
    role = "leader" if isinstance(bot_settings.database, str) else "single"
    runner, base = await serve_ops(bot_settings, app.bot_data)
    try:
        shop = ChatUser(server, 10001, "小王")
        server.fail_next(1, 429, retry_after=1, methods={"sendMessage"})  # Telegram is busy
        await shop.send("/start")
        await shop.reply()  # the reply still arrives, after the retry

        async with app.bot_data.storage.transaction() as repos:
            # A message that has waited an hour and is not due again until tomorrow.
            await repos.tx.execute(
                "INSERT INTO outbox (chat_id, kind, payload, created_at, next_attempt_at)"
                " VALUES (?, 'text', '', ?, ?)",
                (
                    10001,
                    (utcnow() - timedelta(hours=1)).isoformat(),
                    (utcnow() + timedelta(days=1)).isoformat(),
                ),
            )

        async with ops_http.get(f"{base}/healthz") as alive:
            assert (alive.status, await alive.json()) == (200, {"alive": True})
        async with ops_http.get(f"{base}/readyz") as ready:
            assert ready.status == 200
            assert await ready.json() == {
                "database": True,
                "migrations": True,
                "role": role,
                "ready": True,
            }
        async with ops_http.get(f"{base}/metrics") as scraped:
            assert scraped.status == 200
            assert scraped.headers["Content-Type"].startswith("text/plain")
            text = await scraped.text()
    finally:
        await runner.cleanup()
    assert sample(text, "merchant_bot_updates_handled_total") >= 1
    assert sample(text, "merchant_bot_update_handling_seconds_count") >= 1
    assert 'merchant_bot_update_handling_seconds_bucket{le="0.1"}' in text
    assert sample(text, 'merchant_bot_telegram_429_total{method="sendMessage"}') >= 1
    assert sample(text, "merchant_bot_outbox_depth") == 1
    assert 3500 < sample(text, "merchant_bot_outbox_oldest_age_seconds") < 7200
    assert sample(text, "merchant_bot_leader") == 1
    assert sample(text, f'merchant_bot_role{{role="{role}"}}') == 1


async def test_a_follower_is_ready_but_not_the_leader(
    bot_settings: Settings, ops_http: aiohttp.ClientSession
) -> None:
    storage = Storage(bot_settings.database, keys_for(bot_settings))
    await storage.open()
    instance = SimpleNamespace(storage=storage, cluster=SimpleNamespace(role="follower"))
    runner, base = await serve_ops(bot_settings, instance)
    try:
        async with ops_http.get(f"{base}/readyz") as ready:
            assert (ready.status, (await ready.json())["role"]) == (200, "follower")
        async with ops_http.get(f"{base}/metrics") as scraped:
            text = await scraped.text()
        assert sample(text, "merchant_bot_leader") == 0
        assert sample(text, 'merchant_bot_role{role="follower"}') == 1
        instance.cluster.role = None  # still electing: not ready to take traffic
        async with ops_http.get(f"{base}/readyz") as ready:
            assert (ready.status, (await ready.json())["role"]) == (503, "starting")
    finally:
        await runner.cleanup()
        await storage.close()


@on_both_backends
async def test_readyz_is_503_when_the_database_is_gone_or_not_migrated(
    bot_settings: Settings, ops_http: aiohttp.ClientSession
) -> None:
    storage = Storage(bot_settings.database, keys_for(bot_settings))
    await storage.open()
    instance = SimpleNamespace(storage=storage)
    runner, base = await serve_ops(bot_settings, instance)
    try:
        async with storage.transaction() as repos:
            await repos.tx.execute("DELETE FROM schema_migrations WHERE version = 13")
        async with ops_http.get(f"{base}/readyz") as ready:
            body = await ready.json()
            assert (ready.status, body["migrations"], body["missing_migrations"]) == (
                503,
                False,
                [13],
            )
        await storage.close()  # the database is gone
        async with ops_http.get(f"{base}/readyz") as ready:
            body = await ready.json()
            assert (ready.status, body["database"], body["ready"]) == (503, False, False)
        async with ops_http.get(f"{base}/healthz") as alive:
            assert alive.status == 200  # alive all the same: restarting would not help
        async with ops_http.get(f"{base}/metrics") as scraped:
            assert scraped.status == 200
            assert sample(await scraped.text(), "merchant_bot_outbox_depth") == -1
    finally:
        await runner.cleanup()


def bot_process_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        DATA_DIR=str(tmp_path / "data"),
        ENCRYPTION_KEY="A" * 43 + "=",
        OPS_PORT="0",
        **values,
    )
    return env


async def test_a_refused_token_stops_with_exit_code_2_and_one_line_naming_bot_token(
    server: BotApiServer, tmp_path: Path
) -> None:
    env = bot_process_env(
        tmp_path, BOT_TOKEN="123456:not-this-bots-token", TELEGRAM_BASE_URL=server.base_url
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stdout=-1, stderr=-1
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("merchant-bot: BOT_TOKEN:"), lines
    assert "Traceback" not in err.decode() and out == b""


async def test_an_unreachable_bot_api_is_retried_with_one_line_per_attempt(
    tmp_path: Path,
) -> None:
    port = await free_port()
    env = bot_process_env(
        tmp_path, BOT_TOKEN="123456:abc", TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stdout=-1, stderr=-1
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(60):
            while sum("retrying in" in line for line in seen) < 2:
                seen.append((await process.stderr.readline()).decode())
    finally:
        process.terminate()
        rest = await process.stderr.read()
        await process.wait()
    retries = [line for line in seen if "retrying in" in line]
    assert f"cannot reach the Bot API at http://127.0.0.1:{port}/bot" in retries[0]
    assert "retrying in 1 s" in retries[0] and "retrying in 2 s" in retries[1]
    assert "Traceback" not in "".join(seen) + rest.decode()
    assert "123456:abc" not in "".join(seen)


class Noticed(logging.Handler):
    """Sets an event when a log line containing `fragment` is written."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment, self.seen = fragment, asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.fragment in record.getMessage():
            self.seen.set()


async def test_the_bot_starts_once_the_bot_api_comes_up(make_settings) -> None:
    from bot.app import build_application
    from bot.startup import initialize

    port = await free_port()
    server = BotApiServer("127.0.0.1", port)
    settings = make_settings(
        bot_token=server.token,
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
    )
    app = build_application(settings)
    noticed = Noticed("cannot reach the Bot API")
    logging.getLogger("bot.startup").addHandler(noticed)
    starting = asyncio.create_task(initialize(app, first_delay=0.05))
    try:
        await asyncio.wait_for(noticed.seen.wait(), 30)
        assert not starting.done()  # still waiting, not crashed
        await server.start()  # the Bot API is back
        await asyncio.wait_for(starting, 30)
        assert app.bot.username == "merchant_pos_bot"
    finally:
        logging.getLogger("bot.startup").removeHandler(noticed)
        starting.cancel()
        await app.shutdown()
        await server.stop()


async def free_port() -> int:
    probe = web.AppRunner(web.Application())
    await probe.setup()
    site = web.TCPSite(probe, "127.0.0.1", 0)
    await site.start()
    port = probe.addresses[0][1]
    await probe.cleanup()  # nothing listens there now
    return port
