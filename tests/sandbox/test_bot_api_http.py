"""The Bot API on the wire: routes, parameter encodings, error bodies, long polling."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from sandbox.server import BotApiServer
from tests.sandbox.conftest import MERCHANT, api_url, png_bytes


async def call(
    http: aiohttp.ClientSession, server: BotApiServer, method: str, **kwargs: object
) -> tuple[int, dict]:
    async with http.post(api_url(server, method), **kwargs) as response:  # type: ignore[arg-type]
        return response.status, await response.json()


async def test_method_names_are_case_insensitive(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(api_url(server, "GETME")) as response:
        body = await response.json()
    assert response.status == 200
    assert body["ok"] is True and body["result"]["username"] == "merchant_pos_bot"


async def test_unknown_method_is_404_not_found(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, server, "sendTelepathy")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


@pytest.mark.parametrize("encoding", ["json", "form", "query", "multipart"])
async def test_parameters_are_read_from_every_encoding(
    server: BotApiServer, http: aiohttp.ClientSession, encoding: str
) -> None:
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    values = {"chat_id": MERCHANT, "text": "你好", "reply_markup": markup}
    url = api_url(server, "sendMessage")
    flat = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in values.items()}
    if encoding == "json":
        request = http.post(url, json=values)
    elif encoding == "form":
        request = http.post(url, data=flat)
    elif encoding == "query":
        request = http.get(url, params=flat)
    else:
        form = aiohttp.FormData()
        for key, value in flat.items():
            form.add_field(key, value)
        request = http.post(url, data=form)
    async with request as response:
        body = await response.json()
    assert body["ok"] is True, body
    assert body["result"]["text"] == "你好"
    assert body["result"]["reply_markup"] == markup
    assert server.calls[-1] == ("sendmessage", values)


async def test_error_bodies_carry_telegrams_exact_descriptions(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    cases = [
        (
            {"chat_id": MERCHANT, "text": "a<div>b</div>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 1',
        ),
        ({"chat_id": MERCHANT, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": MERCHANT, "text": "x" * 4097}, "Bad Request: message is too long"),
        ({"chat_id": 5, "text": "x"}, "Bad Request: chat not found"),
        (
            {
                "chat_id": MERCHANT,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
    ]
    for params, description in cases:
        status, body = await call(http, server, "sendMessage", json=params)
        assert status == 400
        assert body == {"ok": False, "error_code": 400, "description": description}


async def test_rate_limit_error_has_retry_after_parameter(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    server.fail_next(2, 429, retry_after=7)
    for _ in range(2):
        status, body = await call(http, server, "getMe")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    status, _ = await call(http, server, "getMe")
    assert status == 200


async def test_blocked_chat_is_403(server: BotApiServer, http: aiohttp.ClientSession) -> None:
    server.block_chat(MERCHANT)
    status, body = await call(http, server, "sendMessage", json={"chat_id": MERCHANT, "text": "x"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_latency_delays_every_response(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    server.latency = 0.3
    started = time.monotonic()
    await call(http, server, "getMe")
    assert time.monotonic() - started >= 0.3


async def test_long_poll_waits_for_its_timeout_when_nothing_happens(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    status, body = await call(http, server, "getUpdates", json={"timeout": 1})
    assert (status, body) == (200, {"ok": True, "result": []})
    assert 0.9 <= time.monotonic() - started < 2


async def test_a_newer_poll_terminates_the_older_one_with_409(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    older = asyncio.create_task(call(http, server, "getUpdates", json={"timeout": 10}))
    await asyncio.sleep(0.2)
    newer = asyncio.create_task(call(http, server, "getUpdates", json={"timeout": 10}))
    status, body = await asyncio.wait_for(older, 2)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    await server.send_text(MERCHANT, "hi")
    status, body = await asyncio.wait_for(newer, 2)
    assert body["result"][0]["message"]["text"] == "hi"


async def test_stop_releases_pending_long_polls_immediately(
    http: aiohttp.ClientSession,
) -> None:
    server = BotApiServer()
    await server.start()
    poll = asyncio.create_task(call(http, server, "getUpdates", json={"timeout": 30}))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await server.stop()
    status, body = await asyncio.wait_for(poll, 3)
    assert (status, body["result"]) == (200, [])
    assert time.monotonic() - started < 2


async def test_allowed_updates_filters_update_types(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    _, sent = await call(
        http,
        server,
        "sendMessage",
        json={
            "chat_id": MERCHANT,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
        },
    )
    await server.press_button(MERCHANT, sent["result"]["message_id"], "a")
    await server.send_text(MERCHANT, "文本")
    _, body = await call(http, server, "getUpdates", json={"allowed_updates": ["callback_query"]})
    assert [list(u)[1] for u in body["result"]] == ["callback_query"]
    # The setting sticks for later calls that don't pass allowed_updates, like on Telegram.
    await server.send_text(MERCHANT, "再来")
    offset = body["result"][-1]["update_id"] + 1
    _, body = await call(http, server, "getUpdates", json={"offset": offset})
    assert body["result"] == []


async def test_negative_offset_keeps_only_the_last_updates(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    for text in ("1", "2", "3"):
        await server.send_text(MERCHANT, text)
    _, body = await call(http, server, "getUpdates", json={"offset": -1})
    assert [u["message"]["text"] for u in body["result"]] == ["3"]


async def test_delete_webhook_can_drop_pending_updates(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    await server.send_text(MERCHANT, "旧消息")
    _, body = await call(http, server, "deleteWebhook", data={"drop_pending_updates": "true"})
    assert body == {"ok": True, "result": True}
    _, body = await call(http, server, "getUpdates")
    assert body["result"] == []


async def test_multipart_photo_upload_and_file_download(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    data = png_bytes(12, 7)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(MERCHANT))
    form.add_field("photo", data, filename="p.png", content_type="image/png")
    status, body = await call(http, server, "sendPhoto", data=form)
    assert status == 200, body
    (size,) = body["result"]["photo"]
    assert {k: size[k] for k in ("width", "height", "file_size")} == {
        "width": 12,
        "height": 7,
        "file_size": len(data),
    }
    assert server.calls[-1][1]["photo"] == {
        "file_name": "p.png",
        "mime_type": "image/png",
        "size": len(data),
    }
    _, file = await call(http, server, "getFile", json={"file_id": size["file_id"]})
    download = f"{server.file_base_url}{server.token}/{file['result']['file_path']}"
    async with http.get(download) as resp:
        assert resp.status == 200
        assert await resp.read() == data
    async with http.get(f"{server.file_base_url}{server.token}/photos/missing.jpg") as resp:
        assert resp.status == 404


async def test_media_group_with_attach_uris(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(MERCHANT))
    media = [
        {"type": "photo", "media": "attach://one", "caption": "<b>一</b>", "parse_mode": "HTML"},
        {"type": "photo", "media": "attach://two"},
    ]
    form.add_field("media", json.dumps(media))
    form.add_field("one", png_bytes(1, 1), filename="1.png", content_type="image/png")
    form.add_field("two", png_bytes(2, 2), filename="2.png", content_type="image/png")
    status, body = await call(http, server, "sendMediaGroup", data=form)
    assert status == 200, body
    first, second = body["result"]
    assert first["media_group_id"] == second["media_group_id"]
    assert first["caption"] == "一"
    assert first["caption_entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    assert second["photo"][0]["width"] == 2
    assert second["message_id"] == first["message_id"] + 1
