"""End-to-end fixtures: the local Bot API server and the real Application polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telegram.ext import Application

from bot.runner import start_bot, stop_bot
from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.harness import ChatUser

REVIEW_CHAT = -1001000000001
SUPPORT_CHAT = -1001000000002
ADMIN_ID = 900001


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    """A local Bot API server on a free port, with the staff groups created."""
    srv = BotApiServer("127.0.0.1", 0)
    await srv.start()
    srv.add_group(REVIEW_CHAT, "审核群")
    srv.add_group(SUPPORT_CHAT, "客服群")
    yield srv
    await srv.stop()


@pytest.fixture
def make_settings(make_settings, request: pytest.FixtureRequest) -> Callable[..., Settings]:
    """tests/conftest.py's builder; settings pointed at the local server get its bot token.

    The server answers only its own random per-run token, so every test that overrides
    bot_settings with ``telegram_base_url=server.base_url`` needs it; this adds it for them.
    """

    def build(**overrides: object) -> Settings:
        if "telegram_base_url" in overrides and "bot_token" not in overrides:
            server: BotApiServer = request.getfixturevalue("server")
            if overrides["telegram_base_url"] == server.base_url:
                overrides["bot_token"] = server.token
        return make_settings(**overrides)

    return build


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer) -> Settings:
    """Settings pointing the bot at the local server (with its token) and a fresh database."""
    return make_settings(
        bot_token=server.token,
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        support_chat_id=SUPPORT_CHAT,
        admin_ids=[ADMIN_ID],
    )


BotRunner = Callable[..., Awaitable[Application]]


@pytest.fixture
async def run_bot(bot_settings: Settings) -> AsyncIterator[BotRunner]:
    """Start (and, in tests that restart it, start again) the real bot; stopped at teardown."""
    running: list[Application] = []

    async def launch(settings: Settings | None = None, **kwargs: object) -> Application:
        app = await start_bot(settings or bot_settings, **kwargs)  # type: ignore[arg-type]
        running.append(app)
        return app

    yield launch
    for app in running:
        if app.running or (app.updater and app.updater.running):
            await stop_bot(app)


@pytest.fixture
async def bot(run_bot: BotRunner) -> Application:
    """The bot, running."""
    return await run_bot()


@pytest.fixture
def merchant(server: BotApiServer, bot: Application) -> ChatUser:
    """A Chinese-speaking merchant in a private chat with the running bot."""
    return ChatUser(server, 10001, "小王", language_code="zh-hans")


@pytest.fixture
def english_merchant(server: BotApiServer, bot: Application) -> ChatUser:
    """An English-speaking merchant."""
    return ChatUser(server, 10002, "Alice", language_code="en")
