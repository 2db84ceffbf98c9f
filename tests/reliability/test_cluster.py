"""Two bot instances on one PostgreSQL database, through the local Bot API server.

Updates reach the instances by webhook: a pump here takes each update the server queues and
POSTs it to one instance after the other (the sandbox's own webhook delivery is not used), so
one merchant's updates arrive at both instances and must still be handled in order, once.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.application.form import QUESTIONS, SKIPPED
from bot.keys import keys_for
from bot.logs import console_handler
from bot.runner import stop_bot
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, listening_port
from sandbox.server import BotApiServer
from storage import Storage
from tests.e2e.application_steps import give
from tests.e2e.conftest import BotRunner
from tests.e2e.files import png
from tests.e2e.harness import ChatUser
from tests.reliability.crash import _agree_to_notice, _latest_step, _wait_for_step, answers_for

SECRET = "cluster-test_Secret-1"
on_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def webhook_settings(bot_settings: Settings) -> Settings:
    """Webhook mode; each instance listens on a free port of its own."""
    return bot_settings.model_copy(
        update={
            "webhook_url": "https://bot.example.com/telegram",
            "webhook_secret": SecretStr(SECRET),
            "webhook_listen_port": 0,
        }
    )


def _url(app: Application) -> str:
    return f"http://127.0.0.1:{listening_port(app.bot_data.webhook)}/telegram"


async def _pump(server: BotApiServer, urls: list[str]) -> None:
    """Deliver every queued update by POST, in order, to the instances in turn (as Telegram
    does through a load balancer); an answer other than 200 is retried."""
    targets = itertools.cycle(urls)
    async with aiohttp.ClientSession() as http:
        while True:
            updates = server.state.take_updates(100)
            if not updates:
                await server.state.updates_pulse.wait(0.2)
                continue
            for update in updates:
                while True:
                    async with http.post(
                        next(targets), json=update, headers={SECRET_HEADER: SECRET}
                    ) as response:
                        if response.status == 200:
                            break
                    await asyncio.sleep(0.05)
                server.state.confirm(update["update_id"] + 1)


@pytest.fixture
async def two_instances(
    run_bot: BotRunner, server: BotApiServer, webhook_settings: Settings
) -> AsyncIterator[tuple[Application, Application, dict[int, list[int]]]]:
    """Two running instances in webhook mode, the pump feeding both, and which instance
    handled which update id."""
    apps = [await run_bot(webhook_settings), await run_bot(webhook_settings)]
    # Whatever setWebhook did on the server: the pump delivers here, nobody else.
    await apps[0].bot.delete_webhook()
    handled: dict[int, list[int]] = {0: [], 1: []}
    for index, app in enumerate(apps):

        async def record(update: Update, _: ContextTypes.DEFAULT_TYPE, index=index) -> None:
            handled[index].append(update.update_id)

        app.add_handler(TypeHandler(Update, record), group=-4)
    pump = asyncio.create_task(_pump(server, [_url(app) for app in apps]))
    yield apps[0], apps[1], handled
    pump.cancel()


async def _apply_with_a_burst(user: ChatUser, index: int, timeout: float = 60.0) -> None:
    """The whole form; the five text answers from the account holder's name on are sent at
    once, without waiting for the questions in between."""
    deadline = time.monotonic() + timeout
    answers = answers_for(index)
    await user.send("/apply")
    await _agree_to_notice(user, deadline)
    for number, answer in enumerate(answers, start=1):
        if 10 <= number <= 14:
            await user.send(str(answer.value))
            if number < 14:
                continue
        else:
            await give(user, answer)
        await _wait_for_step(user, number + 1 if number < len(answers) else 0, deadline)


def _steps_asked(user: ChatUser) -> list[int]:
    """The step numbers of the questions the bot sent, in order (0 = the review page)."""
    asked = []
    for message in user.server.messages(user.chat_id):
        step = _latest_step_of(message)
        if step is not None:
            asked.append(step)
    return asked


def _latest_step_of(message: dict[str, Any]) -> int | None:
    from tests.reliability.crash import STEP

    body = message.get("text") or ""
    if "请核对" in body:
        return 0
    match = STEP.search(body)
    return int(match.group(1)) if match else None


async def _stored(settings: Settings, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    try:
        async with storage.transaction() as repos:
            drafts = {u: await repos.applications.draft_of(u) for u in user_ids}
    finally:
        await storage.close()
    return {u: d.answers for u, d in drafts.items() if d is not None}


@pytest.mark.timeout(180)
@on_postgresql
async def test_merchants_updates_are_handled_in_order_and_once_across_two_instances(
    server: BotApiServer, two_instances, webhook_settings: Settings
) -> None:
    _first, _second, handled = two_instances
    users = [ChatUser(server, 61001 + i, f"商户{i}") for i in range(4)]
    await asyncio.gather(*(_apply_with_a_burst(u, i) for i, u in enumerate(users)))

    # Every question asked once, in order: no answer was taken twice or out of turn.
    questions = len(QUESTIONS)
    for user in users:
        assert _steps_asked(user) == [*range(1, questions + 1), 0], user.user_id
        assert _latest_step(user) == 0
    stored = await _stored(webhook_settings, [u.user_id for u in users])
    for index, user in enumerate(users):
        answers = stored[user.user_id]
        assert answers["merchant_name"] == f"杭州西湖第{index}号便利店"
        assert answers["account_holder"] == "王小明"
        assert answers["account_number"] == "4111111111111111"
        assert answers["address"] == "浙江省杭州市西湖区文三路100号"
        assert answers["storefront"] == SKIPPED
        assert answers["licence"] == hashlib.sha256(png(1)).hexdigest()
    # Both instances did part of the work, and no update was handled by both or twice.
    assert handled[0] and handled[1]
    every = handled[0] + handled[1]
    assert len(every) == len(set(every))


@pytest.mark.timeout(60)
@on_postgresql
async def test_a_redelivered_update_is_stored_once_and_handled_once(
    server: BotApiServer, run_bot: BotRunner, webhook_settings: Settings
) -> None:
    first = await run_bot(webhook_settings)
    second = await run_bot(webhook_settings)
    await first.bot.delete_webhook()
    merchant = ChatUser(server, 61101, "小李")
    await merchant.send("/help")
    (update,) = server.state.take_updates(1)
    async with aiohttp.ClientSession() as http:
        # Telegram did not see the first answer and sends it again, to the other instance.
        for app in (first, second, first):
            async with http.post(
                _url(app), json=update, headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 200
    await merchant.reply()
    await merchant.silence(1.5)


async def _post(url: str, body: Any, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as r:
        return r.status


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_webhook_refuses_a_wrong_secret_and_answers_200_once_stored(
    server: BotApiServer,
    run_bot: BotRunner,
    webhook_settings: Settings,
) -> None:
    # What the operator's console would show at LOG_LEVEL=DEBUG, where every library logs.
    console = io.StringIO()
    handler = console_handler("DEBUG", console)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        await _refuse_then_store(server, run_bot, webhook_settings, console)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def _refuse_then_store(
    server: BotApiServer, run_bot: BotRunner, webhook_settings: Settings, console: io.StringIO
) -> None:
    app = await run_bot(webhook_settings)
    await app.bot.delete_webhook()
    merchant = ChatUser(server, 61201, "小周")
    await merchant.send("/help")
    (update,) = server.state.take_updates(1)

    for headers in ({}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: SECRET + "x"}):
        assert await _post(_url(app), update, headers) == 403
    await merchant.silence(0.5)  # nothing refused was stored or handled
    assert SECRET not in console.getvalue()

    assert await _post(_url(app), update, {SECRET_HEADER: SECRET}) == 200
    await merchant.reply()
    assert await _post(_url(app), {"no": "update"}, {SECRET_HEADER: SECRET}) == 400
    logged = console.getvalue()
    assert "refused a request" in logged  # the refusals are logged...
    assert SECRET not in logged  # ...and setWebhook's DEBUG line shows no secret either


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_webhook_answers_503_when_the_update_cannot_be_stored(
    server: BotApiServer, run_bot: BotRunner, webhook_settings: Settings
) -> None:
    app = await run_bot(webhook_settings)
    await app.bot.delete_webhook()
    merchant = ChatUser(server, 61301, "小吴")
    await merchant.send("/help")
    (update,) = server.state.take_updates(1)
    await app.bot_data.storage.close()  # the database is gone
    try:
        assert await _post(_url(app), update, {SECRET_HEADER: SECRET}) == 503
    finally:
        await app.bot_data.storage.db.connect()
    assert await _post(_url(app), update, {SECRET_HEADER: SECRET}) == 200  # Telegram's retry
    await merchant.reply()


async def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


@pytest.mark.timeout(90)
@on_postgresql
async def test_one_instance_polls_and_leads_and_another_takes_over_when_it_stops(
    server: BotApiServer, run_bot: BotRunner, bot_settings: Settings
) -> None:
    apps = [await run_bot(bot_settings), await run_bot(bot_settings)]
    await _until(lambda: sorted(a.bot_data.cluster.role for a in apps) == ["follower", "leader"])
    leader = next(a for a in apps if a.bot_data.cluster.is_leader)
    other = next(a for a in apps if a is not leader)
    merchant = ChatUser(server, 61401, "小郑")
    for _ in range(3):
        await merchant.send("/help")
        await merchant.reply()
        assert sorted(a.bot_data.cluster.role for a in apps) == ["follower", "leader"]

    await stop_bot(leader)
    await _until(lambda: other.bot_data.cluster.is_leader)
    await merchant.send("/help")  # polled and answered by the new leader
    await merchant.reply()
    await merchant.silence(1.0)


@pytest.mark.timeout(120)
@on_postgresql
async def test_in_polling_mode_the_follower_handles_chats_the_leader_polled(
    server: BotApiServer, run_bot: BotRunner, bot_settings: Settings
) -> None:
    # Only the leader calls getUpdates; the chats it stores are announced, and the follower
    # takes the turns of those it gets to first, so a second instance shares the work.
    apps = [await run_bot(bot_settings), await run_bot(bot_settings)]
    await _until(lambda: sorted(a.bot_data.cluster.role for a in apps) == ["follower", "leader"])
    handled: dict[int, list[int]] = {0: [], 1: []}
    for index, app in enumerate(apps):

        async def record(update: Update, _: ContextTypes.DEFAULT_TYPE, index=index) -> None:
            handled[index].append(update.update_id)

        app.add_handler(TypeHandler(Update, record), group=-4)
    merchants = [ChatUser(server, 61601 + n, f"商户{n}") for n in range(8)]
    for _ in range(10):
        for merchant in merchants:  # all at once: one getUpdates brings several chats
            await merchant.send("/help")
        for merchant in merchants:
            assert "/apply" in await merchant.reply_text(timeout=30)
        if handled[0] and handled[1]:
            break
    assert handled[0] and handled[1], handled
    every = handled[0] + handled[1]
    assert len(every) == len(set(every))  # none handled by both
    for merchant in merchants:
        await merchant.silence(0.5)  # and no second answer to any of them


@pytest.mark.timeout(60)
@on_postgresql
async def test_a_language_chosen_on_one_instance_is_used_by_the_other(
    server: BotApiServer, two_instances
) -> None:
    _first, _second, handled = two_instances
    merchant = ChatUser(server, 61501, "小陈")
    await merchant.send("/help")  # both instances now know this person (in Chinese)
    assert "/help" in await merchant.reply_text()
    await merchant.send("/help")
    chinese = await merchant.reply_text()
    await merchant.send("/language")
    prompt = await merchant.reply()
    await merchant.press_data(prompt, "lang:en")
    await merchant.expect("Tap a button below")  # the main menu, in English now
    # Whichever instance gets it answers in English; which one takes a chat's turn depends on
    # timing, so ask until both have answered (each answer must be English).
    for asked in range(12):
        await merchant.send("/help")
        english = await merchant.reply_text()
        assert english != chinese and "show this help" in english
        if asked >= 1 and handled[0] and handled[1]:
            break
    assert handled[0] and handled[1]
