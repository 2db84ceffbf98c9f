"""HTTP front of the Bot API: /bot{token}/{method} and /file/bot{token}/{file_path}."""

from __future__ import annotations

import asyncio
import json
from functools import partial

from aiohttp import web

from sandbox.emulator import TelegramEmulator
from sandbox.files import image_mime
from sandbox.guard import same_secret
from sandbox.methods_misc import METHODS
from sandbox.params import ApiError, read_params

__all__ = ["add_bot_api_routes"]

_dumps = partial(json.dumps, ensure_ascii=False)
_UNAUTHORIZED = ApiError(401, "Unauthorized")  # Telegram's answer to a token it does not know


def _error(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.status, dumps=_dumps)


class _BotApi:
    def __init__(self, telegram: TelegramEmulator) -> None:
        self.telegram = telegram

    def _authorised(self, request: web.Request) -> bool:
        return same_secret(request.match_info["token"], self.telegram.token)

    async def method(self, request: web.Request) -> web.Response:
        """Only this sandbox's token is accepted; method names are case-insensitive."""
        telegram = self.telegram
        if not self._authorised(request):
            return _error(_UNAUTHORIZED)
        name = request.match_info["method"].lower()
        try:
            params = await read_params(request)
        except ApiError as exc:
            return _error(exc)
        telegram.calls.append((name, params.logged()))
        if telegram.latency > 0:
            await asyncio.sleep(telegram.latency)
        handler = METHODS.get(name)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        fault = telegram.faults.take(name)
        if fault is not None:
            return _error(fault)
        flooded = telegram.flood.check(name, params) if telegram.flood is not None else None
        if flooded is not None:
            return _error(flooded)
        try:
            result = await handler(telegram.state, params)
        except ApiError as exc:
            return _error(exc)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def file(self, request: web.Request) -> web.Response:
        """The bytes behind a file_path handed out by getFile (to the right token only)."""
        if not self._authorised(request):
            return _error(_UNAUTHORIZED)
        files = self.telegram.state.files
        record = files.by_path(request.match_info["file_path"])
        if record is None:
            return _error(ApiError(404, "Not Found"))
        data = files.read(record)
        content_type = image_mime(data) if record.kind == "photo" else record.mime_type
        return web.Response(body=data, content_type=content_type or "application/octet-stream")


def add_bot_api_routes(app: web.Application, telegram: TelegramEmulator) -> None:
    """Register the Bot API method route and the file download route on ``app``."""
    api = _BotApi(telegram)
    app.router.add_route("*", "/bot{token}/{method}", api.method)
    app.router.add_get("/file/bot{token}/{file_path:.+}", api.file)
