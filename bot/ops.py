"""The operator's endpoints of one instance: /healthz, /readyz and /metrics on OPS_PORT.

- ``GET /healthz``: 200 while the process serves HTTP at all; touches nothing else, so a
  liveness probe never restarts an instance because the database or Telegram is slow.
- ``GET /readyz``: 200 when the database answers, every migration this code knows is
  applied and the instance has a role (leader, follower, or single when there is no
  cluster); else 503. The JSON body says which check failed.
- ``GET /metrics``: Prometheus text (bot/metrics.py); outbox depth and age are read from
  the database at scrape time.

No secret is needed: bind OPS_HOST to an address only the monitoring can reach (the default
is 127.0.0.1). Nothing here reveals personal data.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot import metrics
from bot.settings import ConfigError, Settings
from storage import Storage
from storage.db import utcnow
from storage.health import missing_migrations, outbox_backlog

log = logging.getLogger(__name__)

DEFAULT_OPS_PORT = 8091
CHECK_TIMEOUT = 5.0  # seconds /readyz and /metrics wait for the database

_BOT_DATA: web.AppKey[Any] = web.AppKey("bot_data")
_WAITING = (
    "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
)


def instance_role(bot_data: Any) -> str:
    """leader, follower or single: ``bot_data.cluster.role`` when a cluster runs, else single."""
    cluster = getattr(bot_data, "cluster", None)
    role = getattr(cluster, "role", None) if cluster is not None else "single"
    return str(getattr(role, "value", role) or "starting")


async def readiness(bot_data: Any) -> dict[str, Any]:
    """What /readyz reports; "ready" is True only when every check passed."""
    storage: Storage = bot_data.storage
    role = instance_role(bot_data)
    report: dict[str, Any] = {"database": False, "migrations": False, "role": role}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), storage.autocommit() as repos:
            missing = await missing_migrations(repos.tx, storage.db)
    except Exception as exc:  # any failure to reach the database means: not ready
        report["error"] = type(exc).__name__
    else:
        report["database"] = True
        report["migrations"] = not missing
        if missing:
            report["missing_migrations"] = missing
    report["ready"] = report["database"] and report["migrations"] and role in metrics.ROLES
    return report


async def outbox_figures(storage: Storage) -> tuple[int, float]:
    """Messages waiting in the outbox, and the age in seconds of the oldest."""
    async with asyncio.timeout(CHECK_TIMEOUT), storage.autocommit() as repos:
        count, oldest = await outbox_backlog(repos.tx)
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return count, max(0.0, age)


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"alive": True})


async def _readyz(request: web.Request) -> web.Response:
    report = await readiness(request.app[_BOT_DATA])
    return web.json_response(report, status=200 if report["ready"] else 503)


async def _metrics(request: web.Request) -> web.Response:
    bot_data = request.app[_BOT_DATA]
    try:
        depth, age = await outbox_figures(bot_data.storage)
    except Exception:  # the scrape still answers; outbox figures are -1 while the db is away
        log.warning("metrics: the outbox could not be read")
        depth, age = -1, -1.0
    body = metrics.exposition(
        role=instance_role(bot_data), outbox_depth=depth, outbox_oldest_age=age
    )
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


def add_ops_routes(app: web.Application, bot_data: Any) -> None:
    """Register /healthz, /readyz and /metrics for the bot whose BotData is given."""
    app[_BOT_DATA] = bot_data
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)


async def start_ops(
    settings: Settings, bot_data: Any, *, sandbox: bool = False
) -> web.AppRunner | None:
    """Serve the ops endpoints on OPS_HOST:OPS_PORT; None when they are not served.

    OPS_PORT unset: port 8091 against Telegram, nothing in the sandbox; a busy default port
    is a warning (several instances on one host each need their own OPS_PORT). A port that
    was set and cannot be used stops start-up with one line naming OPS_PORT.
    """
    port = settings.ops_port
    if port is None and sandbox:
        return None
    bind = DEFAULT_OPS_PORT if port is None else port
    app = web.Application()
    add_ops_routes(app, bot_data)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.ops_host, bind).start()
    except OSError as exc:
        await runner.cleanup()
        where = f"{settings.ops_host}:{bind}"
        if port is None:
            log.warning(
                "OPS_PORT: cannot listen on %s (%s); ops endpoints off", where, exc.strerror
            )
            return None
        raise ConfigError(f"OPS_PORT: cannot listen on {where}: {exc.strerror}") from None
    return runner


def ops_url(runner: web.AppRunner) -> str:
    """Where the endpoints are served, for the start-up banner."""
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}/metrics  (/healthz, /readyz)"
