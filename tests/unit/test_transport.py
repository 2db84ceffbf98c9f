"""Bot API calls go through the proxy the environment names, as they did under httpx."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from telegram.request import RequestData

from bot.transport import AiohttpRequest


async def _proxy(seen: list[str]) -> web.AppRunner:
    """An HTTP proxy that answers every request itself and notes the URL asked for."""

    async def answer(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def test_calls_go_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    runner = await _proxy(seen)
    port = runner.addresses[0][1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest()
    try:
        for _ in range(2):  # the second call uses what the first looked up
            status, body = await request.do_request(
                "http://api.telegram.invalid/botTOKEN/getMe", "POST", RequestData()
            )
            assert status == 200 and json.loads(body)["ok"] is True
    finally:
        await request.shutdown()
        await runner.cleanup()
    assert seen == ["http://api.telegram.invalid/botTOKEN/getMe"] * 2


async def test_no_proxy_keeps_a_host_off_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    proxy = await _proxy(seen)
    target = await _proxy([])  # stands for the Bot API server, reached directly
    port = target.addresses[0][1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.addresses[0][1]}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    request = AiohttpRequest()
    try:
        status, _ = await request.do_request(
            f"http://localhost:{port}/botTOKEN/getMe", "POST", RequestData()
        )
    finally:
        await request.shutdown()
        await proxy.cleanup()
        await target.cleanup()
    assert status == 200 and seen == []
