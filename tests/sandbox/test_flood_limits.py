"""Telegram's broadcast limits in the local Bot API server: 30 messages/s, 1,000/s paid."""

from __future__ import annotations

import asyncio

import aiohttp
from telegram import Bot
from telegram.error import RetryAfter

from sandbox.limits import FloodLimits
from sandbox.server import BotApiServer
from tests.sandbox.conftest import GROUP, MERCHANT, STAFF, api_url

CHATS = (MERCHANT, STAFF, GROUP)


async def burst(
    http: aiohttp.ClientSession, server: BotApiServer, n: int, **extra: object
) -> list[tuple[int, dict]]:
    async def one(i: int) -> tuple[int, dict]:
        params = {"chat_id": CHATS[i % 3], "text": f"结算单 {i}", **extra}
        async with http.post(api_url(server, "sendMessage"), json=params) as response:
            return response.status, await response.json()

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_sends_beyond_30_a_second_get_429_with_retry_after(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    server.flood = FloodLimits()
    answers = await burst(http, server, 200)
    refused = [body for status, body in answers if status == 429]
    assert refused, "200 sends at once must exceed 30/s"
    assert refused[0]["parameters"]["retry_after"] >= 1
    assert refused[0]["description"].startswith("Too Many Requests: retry after")
    assert server.flood.rejected == len(refused)
    # Messages that were refused never reached the chats.
    shown = sum(len(server.messages(chat)) for chat in CHATS)
    assert shown == 200 - len(refused)


async def test_paid_broadcast_sends_are_let_through_far_beyond_30_a_second(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    server.flood = FloodLimits()
    answers = await burst(http, server, 200, allow_paid_broadcast=True)
    assert [status for status, _ in answers] == [200] * 200
    assert server.flood.paid_accepted == 200


async def test_paid_broadcast_has_its_own_ceiling(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    server.flood = FloodLimits(paid_per_second=50)
    answers = await burst(http, server, 200, allow_paid_broadcast=True)
    assert 429 in [status for status, _ in answers]


async def test_python_telegram_bot_sees_retry_after_and_can_flag_paid_broadcast(
    server: BotApiServer, bot: Bot
) -> None:
    server.flood = FloodLimits(per_second=1)
    await bot.send_message(MERCHANT, "一")
    try:
        await bot.send_message(MERCHANT, "二")
    except RetryAfter as exc:
        assert exc.retry_after == 1
    else:
        raise AssertionError("the second send within a second must be refused")
    await bot.send_message(MERCHANT, "三", allow_paid_broadcast=True)
    assert [m["text"] for m in server.messages(MERCHANT)] == ["一", "三"]


async def test_without_flood_limits_nothing_is_refused(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    answers = await burst(http, server, 200)
    assert {status for status, _ in answers} == {200}
