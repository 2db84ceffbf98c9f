"""The per-person flood limit with two instances on one PostgreSQL database: the counters stay
in each instance's memory (handlers/throttle.py says why), so a flood spread over both gets
at most twice the burst through, and is still cut off."""

from __future__ import annotations

import asyncio

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.conftest import BotRunner
from tests.e2e.harness import ChatUser
from tests.e2e.test_abuse import GREETING, SLOW_DOWN, everything_said
from tests.reliability.test_cluster import _pump, _url, on_postgresql, webhook_settings

__all__ = ["webhook_settings"]  # the fixture, used below


@on_postgresql
async def test_a_flood_spread_over_two_instances_gets_at_most_twice_the_burst(
    run_bot: BotRunner, server: BotApiServer, webhook_settings: Settings
) -> None:
    limits = {"rate_limit_burst": 4, "rate_limit_messages": 1, "rate_limit_seconds": 60}
    settings = webhook_settings.model_copy(update=limits)
    apps = [await run_bot(settings), await run_bot(settings)]
    await apps[0].bot.delete_webhook()  # the pump below delivers, to each instance in turn
    pump = asyncio.create_task(_pump(server, [_url(app) for app in apps]))
    try:
        merchant = ChatUser(server, 10040, "小刘")
        merchant._mark()
        for _ in range(20):
            await server.send_text(merchant.user_id, "/start")
        said = await everything_said(merchant)
    finally:
        pump.cancel()
    greetings = sum(GREETING in s for s in said)
    assert 4 <= greetings <= 8, said  # one burst per instance at most, never the whole flood
    assert 1 <= sum(SLOW_DOWN in s for s in said) <= 2, said  # told once per instance at most
