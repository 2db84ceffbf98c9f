"""Webhook mode of the local Bot API server: delivery by POST, the secret header, retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, Update

from sandbox.server import BotApiServer
from sandbox.webhook import Webhook
from tests.sandbox.conftest import GROUP, MERCHANT, STAFF, api_url

SECRET = "s3cret_Token-1"


@dataclass
class Receiver:
    """A bot's webhook endpoint on a real port: records every POST, answers as told."""

    statuses: list[int] = field(default_factory=list)  # answers to give first, then 200
    received: list[tuple[dict, str | None]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    reply: Callable[[web.Request], Awaitable[web.Response]] | None = None  # a bot behind it

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.arrived.set()
        if self.statuses:
            return web.Response(status=self.statuses.pop(0))
        return await self.reply(request) if self.reply is not None else web.Response()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Receiver]:
    monkeypatch.setattr(Webhook, "retry_base", 0.05)  # Telegram waits seconds; tests need not
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield found
    await runner.cleanup()


async def call(
    http: aiohttp.ClientSession, server: BotApiServer, method: str, **params: object
) -> tuple[int, dict]:
    async with http.post(api_url(server, method), json=params) as response:
        return response.status, await response.json()


async def info_when(
    http: aiohttp.ClientSession, server: BotApiServer, ready: Callable[[dict], bool]
) -> dict:
    """getWebhookInfo once ready(info) holds (the delivery task runs beside the test)."""
    for _ in range(500):
        _, body = await call(http, server, "getWebhookInfo")
        if ready(body["result"]):
            return body["result"]
        await asyncio.sleep(0.01)
    raise AssertionError(f"webhook info never got there: {body}")


def text(update: dict) -> str:
    return update["message"]["text"]


async def test_updates_arrive_by_post_with_the_secret_header(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    status, body = await call(http, server, "setWebhook", url=receiver.url, secret_token=SECRET)
    assert (status, body) == (200, {"ok": True, "result": True})
    await server.send_text(MERCHANT, "你好")
    await receiver.wait_for(1)
    update, secret = receiver.received[0]
    assert (text(update), secret) == ("你好", SECRET)
    _, info = await call(http, server, "getWebhookInfo")
    assert info["result"]["url"] == receiver.url
    assert info["result"]["max_connections"] == 40
    assert "last_error_date" not in info["result"]


async def test_a_refused_update_is_retried_and_counted_pending_until_accepted(
    server: BotApiServer,
    http: aiohttp.ClientSession,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bot's endpoint answers 500 twice (e.g. its database is down), then recovers.
    receiver.statuses = [500, 500]
    monkeypatch.setattr(Webhook, "retry_base", 0.2)  # time to look between the tries
    await call(http, server, "setWebhook", url=receiver.url, secret_token=SECRET)
    await server.send_text(MERCHANT, "申请")
    await receiver.wait_for(2)
    _, info = await call(http, server, "getWebhookInfo")
    assert info["result"]["pending_update_count"] == 1
    assert info["result"]["last_error_message"] == (
        "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(info["result"]["last_error_date"], int)
    await receiver.wait_for(3)
    assert [text(u) for u, _ in receiver.received] == ["申请"] * 3
    await info_when(http, server, lambda info: info["pending_update_count"] == 0)


async def test_updates_of_one_chat_keep_their_order_behind_a_retry(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.statuses = [503]
    for line in ("一", "二", "三"):
        await server.send_text(MERCHANT, line)
    await call(http, server, "setWebhook", url=receiver.url)
    await receiver.wait_for(4)
    delivered = [text(u) for u, _ in receiver.received]
    assert delivered == ["一", "一", "二", "三"]


async def test_another_chat_is_not_held_up_by_a_failing_one(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver, monkeypatch
) -> None:
    monkeypatch.setattr(Webhook, "retry_base", 30.0)  # the merchant's update waits a long time
    receiver.statuses = [500]
    await server.send_text(MERCHANT, "卡住")
    await call(http, server, "setWebhook", url=receiver.url)
    await receiver.wait_for(1)
    await server.send_text(STAFF, "群里的消息", chat_id=GROUP)
    await receiver.wait_for(2)
    assert text(receiver.received[1][0]) == "群里的消息"


async def test_a_closed_port_is_recorded_as_connection_refused(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    probe = web.AppRunner(web.Application())
    await probe.setup()
    site = web.TCPSite(probe, "127.0.0.1", 0)
    await site.start()
    port = probe.addresses[0][1]
    await probe.cleanup()  # nothing listens there any more
    await call(http, server, "setWebhook", url=f"http://127.0.0.1:{port}/hook")
    await server.send_text(MERCHANT, "有人吗")
    info = await info_when(http, server, lambda info: "last_error_message" in info)
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1


async def test_get_updates_is_a_409_conflict_while_a_webhook_is_set(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    await call(http, server, "setWebhook", url=receiver.url)
    status, body = await call(http, server, "getUpdates")
    assert status == 409
    assert body["description"].startswith("Conflict: can't use getUpdates method while webhook")
    await call(http, server, "deleteWebhook")
    status, body = await call(http, server, "getUpdates")
    assert (status, body["result"]) == (200, [])
    _, info = await call(http, server, "getWebhookInfo")
    assert info["result"]["url"] == ""


async def test_a_pending_long_poll_is_ended_by_set_webhook(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    poll = asyncio.create_task(call(http, server, "getUpdates", timeout=10))
    await asyncio.sleep(0.1)
    await call(http, server, "setWebhook", url=receiver.url)
    status, _ = await asyncio.wait_for(poll, 5)
    assert status == 409


async def test_set_webhook_validates_like_telegram(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    status, body = await call(http, server, "setWebhook", url=receiver.url, secret_token="a b")
    assert (status, body["description"]) == (
        400,
        "Bad Request: secret token contains unallowed characters",
    )
    status, _ = await call(http, server, "setWebhook", url="ftp://example.com/hook")
    assert status == 400
    await call(http, server, "setWebhook", url=receiver.url, max_connections=1000)
    _, info = await call(http, server, "getWebhookInfo")
    assert info["result"]["max_connections"] == 100


async def test_drop_pending_updates_and_allowed_updates_apply_to_the_webhook(
    server: BotApiServer, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    _, sent = await call(
        http, server, "sendMessage", chat_id=MERCHANT, text="?", reply_markup=markup
    )
    await server.send_text(MERCHANT, "旧的")
    await call(
        http,
        server,
        "setWebhook",
        url=receiver.url,
        drop_pending_updates=True,
        allowed_updates=["callback_query"],
    )
    await server.send_text(MERCHANT, "不要的类型")
    await server.press_button(MERCHANT, sent["result"]["message_id"], "ok")
    await receiver.wait_for(1)
    # Same chat, so the message would have come first had it been delivered.
    assert [next(k for k in u if k != "update_id") for u, _ in receiver.received] == [
        "callback_query"
    ]
    _, info = await call(http, server, "getWebhookInfo")
    assert info["result"]["allowed_updates"] == ["callback_query"]


async def test_the_chat_page_works_with_a_webhook_bot(
    server: BotApiServer, http: aiohttp.ClientSession, bot: Bot, receiver: Receiver
) -> None:
    """What a person types on the page reaches a webhook bot; its reply shows on the page."""

    async def echo(request: web.Request) -> web.Response:
        update = Update.de_json(await request.json(), bot)
        assert update is not None and update.message is not None
        await bot.send_message(update.message.chat.id, f"收到：{update.message.text}")
        return web.Response()

    await bot.set_webhook(receiver.url, secret_token=SECRET)
    receiver.reply = echo
    page = f"{server.url}sandbox/api"
    async with http.post(f"{page}/send_text", json={"user_id": MERCHANT, "text": "你好"}) as sent:
        assert (await sent.json())["ok"]
    reply = await server.wait_for_event(MERCHANT, after_seq=0, timeout=10)
    assert reply["message"]["text"] == "收到：你好"
    async with http.get(f"{page}/chats/{MERCHANT}/messages") as shown:
        texts = [m.get("text") for m in (await shown.json())["result"]]
    assert texts == ["你好", "收到：你好"]
    assert (await bot.get_webhook_info()).pending_update_count == 0
