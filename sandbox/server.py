"""A local Telegram Bot API server for end-to-end tests and the no-token sandbox.

An unmodified python-telegram-bot Application talks to it by long polling::

    server = BotApiServer()
    await server.start()
    app = Application.builder().token(server.token).base_url(server.base_url)
          .base_file_url(server.file_base_url).build()

Tests drive users through the control API (``send_text``, ``press_button`` ...) and observe
the bot through ``events`` / ``wait_for_event`` (both from emulator.py); people use the web
chat at ``server.url``. The Bot API accepts only ``server.token`` and the page's HTTP control
API only requests carrying ``server.secret`` (both random per server; see guard.py).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from aiohttp import web

from sandbox.bot_api import add_bot_api_routes
from sandbox.emulator import TelegramEmulator
from sandbox.guard import allowed_hosts, host_guard
from sandbox.web import add_web_routes

__all__ = ["BotApiServer"]

_MAX_UPLOAD = 60 * 1024 * 1024  # Telegram allows 50 MB bot uploads; leave headroom


class BotApiServer(TelegramEmulator):
    """The sandbox served over HTTP: Bot API + control API + web chat page on one aiohttp app."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_id: int = 7_000_000_001,
        bot_username: str = "merchant_pos_bot",
        bot_first_name: str = "POS 商户助手",
        files_dir: str | Path | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__(
            bot_id=bot_id,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            files_dir=files_dir,
            token=token,
        )
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        guard = host_guard(allowed_hosts(host), lambda: self.port, self.secret)
        self.app = web.Application(client_max_size=_MAX_UPLOAD, middlewares=[guard])
        add_bot_api_routes(self.app, self)
        add_web_routes(self.app, self)

    @property
    def base_url(self) -> str:
        """Bot API base URL for python-telegram-bot (it appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        """Base URL for file downloads (python-telegram-bot appends token and file_path)."""
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def url(self) -> str:
        """The web chat page."""
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> None:
        """Bind and serve; with port 0 a free port is chosen and stored in ``self.port``."""
        self.state.closing = False
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Release pending long polls and SSE streams immediately, then close."""
        self.state.closing = True
        if self.state.webhook is not None:
            await self.state.webhook.close()
        self.state.updates_pulse.fire()
        self.state.feed_pulse.fire()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
