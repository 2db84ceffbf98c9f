"""The web chat page and its HTTP control API (/sandbox/api/...), including the SSE feed."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.server import BotApiServer
from tests.sandbox.conftest import GROUP, MERCHANT, png_bytes, secret_header


async def post(http: aiohttp.ClientSession, server: BotApiServer, path: str, **kw: Any) -> Any:
    async with http.post(f"{server.url}sandbox/api/{path}", **kw) as response:
        body = await response.json()
    assert body["ok"], body
    return body["result"]


async def get(http: aiohttp.ClientSession, server: BotApiServer, path: str) -> Any:
    async with http.get(f"{server.url}sandbox/api/{path}") as response:
        body = await response.json()
    assert body["ok"], body
    return body["result"]


async def test_page_is_self_contained_with_stable_test_ids(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(server.url) as response:
        assert response.content_type == "text/html"
        html = await response.text()
    for test_id in (
        "pane-merchant",
        "pane-staff",
        "composer-input",
        "send-button",
        "file-input",
        "message-list",
        "group-select",
        "language-select",
    ):
        assert f'data-testid="{test_id}"' in html
    assert '"message"' in html and '"inline-button"' in html  # set by the script on bubbles
    assert "/*__APP_JS__*/" not in html and "/*__APP_CSS__*/" not in html
    # no external resources: everything is inline, the page must work offline
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert not re.search(r"""<link[^>]+href=["'](?!data:)""", html)


async def test_sending_text_auto_creates_the_default_merchant(
    server: BotApiServer, http: aiohttp.ClientSession, bot: Bot
) -> None:
    message = await post(http, server, "send_text", json={"user_id": 10009, "text": "/start"})
    assert message["from"]["first_name"] == "用户10009"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    fresh = BotApiServer()
    await fresh.start()
    try:
        merchant = await post(
            http,
            fresh,
            "send_text",
            json={"user_id": 10001, "text": "hi"},
            headers=secret_header(fresh),
        )
        assert merchant["from"]["first_name"] == "小王"
        assert merchant["from"]["language_code"] == "zh-hans"
    finally:
        await fresh.stop()
    (update,) = await bot.get_updates()
    assert update.message.text == "/start"


async def test_language_switch_updates_the_users_language_code(
    server: BotApiServer, http: aiohttp.ClientSession, bot: Bot
) -> None:
    user = await post(http, server, "users", json={"user_id": MERCHANT, "language_code": "en"})
    assert user["language_code"] == "en" and user["first_name"] == "小王"
    await post(http, server, "send_text", json={"user_id": MERCHANT, "text": "hello"})
    (update,) = await bot.get_updates()
    assert update.message.from_user.language_code == "en"


async def test_upload_sends_images_as_photos_and_other_files_as_documents(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    image = png_bytes(10, 10)
    form = aiohttp.FormData()
    form.add_field("user_id", str(MERCHANT))
    form.add_field("caption", "执照")
    form.add_field("file", image, filename="a.png", content_type="image/png")
    photo = await post(http, server, "upload", data=form)
    assert photo["caption"] == "执照" and photo["photo"][0]["width"] == 10
    form = aiohttp.FormData()
    form.add_field("user_id", str(MERCHANT))
    form.add_field("chat_id", str(GROUP))
    form.add_field("file", b"<html>x</html>", filename="x.html", content_type="text/html")
    doc = await post(http, server, "upload", data=form)
    assert doc["chat"]["id"] == GROUP and doc["document"]["file_name"] == "x.html"

    async with http.get(f"{server.url}sandbox/files/{photo['photo'][0]['file_id']}") as resp:
        assert resp.content_type == "image/png" and await resp.read() == image
    async with http.get(f"{server.url}sandbox/files/{doc['document']['file_id']}") as resp:
        # documents are downloads, so an uploaded HTML file never runs on the page's origin
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert await resp.read() == b"<html>x</html>"


async def test_press_state_and_event_listing(
    server: BotApiServer, http: aiohttp.ClientSession, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("通过", callback_data="ok:1")]])
    sent = await bot.send_message(GROUP, "审核 #1", reply_markup=markup)
    query = await post(
        http,
        server,
        "press",
        json={
            "user_id": 20001,
            "chat_id": GROUP,
            "message_id": sent.message_id,
            "callback_data": "ok:1",
        },
    )
    assert query["data"] == "ok:1" and query["from"]["id"] == 20001
    state = await get(http, server, "state")
    assert {c["id"] for c in state["chats"]} >= {MERCHANT, GROUP}
    assert state["messages"][str(GROUP)][0]["text"] == "审核 #1"
    assert state["defaults"]["staff"]["first_name"] == "审核员 李"
    listed = await get(http, server, f"chats/{GROUP}/messages")
    assert [m["message_id"] for m in listed] == [sent.message_id]
    events = await get(http, server, f"events?after=0&chat_id={GROUP}")
    assert [e["kind"] for e in events["events"]] == ["chat", "message", "press"]


async def test_control_errors_are_json_400s(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{server.url}sandbox/api/press",
        json={"user_id": MERCHANT, "message_id": 99, "callback_data": "x"},
    ) as response:
        body = await response.json()
    assert response.status == 400
    assert body["ok"] is False and "no bot message 99" in body["error"]


async def test_groups_can_be_created_from_the_page(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    chat = await post(http, server, "groups", json={"title": "客服群"})
    assert chat["type"] == "supergroup" and chat["id"] < GROUP
    assert chat["title"] == "客服群"


async def read_feed(response: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    async for raw in response.content:
        line = raw.decode().strip()
        if line.startswith("data: "):
            entries.append(json.loads(line[6:]))
            if len(entries) == count:
                return entries
    return entries


async def test_sse_stream_pushes_new_events_live(
    server: BotApiServer, http: aiohttp.ClientSession, bot: Bot
) -> None:
    seq = server.last_seq()
    async with http.get(f"{server.url}sandbox/api/stream?after={seq}") as response:
        assert response.content_type == "text/event-stream"
        reader = asyncio.create_task(read_feed(response, 3))
        await asyncio.sleep(0.1)
        sent = await bot.send_message(MERCHANT, "实时")
        await bot.edit_message_text("实时（改）", MERCHANT, sent.message_id)
        await bot.send_chat_action(MERCHANT, "typing")
        entries = await asyncio.wait_for(reader, 3)
    assert [e["kind"] for e in entries] == ["message", "edit", "chat_action"]
    assert entries[0]["seq"] == seq + 1 and entries[0]["actor"] == "bot"


async def test_sse_replays_from_last_event_id(
    server: BotApiServer, http: aiohttp.ClientSession, bot: Bot
) -> None:
    await bot.send_message(MERCHANT, "一")
    seq = server.last_seq()
    await bot.send_message(MERCHANT, "二")
    headers = {"Last-Event-ID": str(seq)}
    async with http.get(f"{server.url}sandbox/api/stream", headers=headers) as response:
        (entry,) = await asyncio.wait_for(read_feed(response, 1), 3)
    assert entry["message"]["text"] == "二"


async def test_stop_closes_open_sse_streams(http: aiohttp.ClientSession) -> None:
    server = BotApiServer()
    await server.start()
    stream = f"{server.url}sandbox/api/stream"
    async with http.get(stream, headers=secret_header(server)) as response:
        reader = asyncio.create_task(read_feed(response, 99))
        await asyncio.sleep(0.1)
        await asyncio.wait_for(server.stop(), 3)
        assert await asyncio.wait_for(reader, 3) == []


BAD_INPUT = [
    ("GET", "events?after=abc", None, "after"),
    ("GET", "events?after=1e3", None, "after"),
    ("GET", "events?after=99999999999999999999999", None, "after"),
    ("GET", "events?chat_id=x", None, "chat_id"),
    ("GET", "chats/abc/messages", None, "chat_id"),
    ("GET", "stream?after=%C2%B2", None, "after"),  # a superscript two is not a number
    ("POST", "send_text", "not json", "JSON"),
    ("POST", "send_text", "[1, 2]", "JSON object"),
    ("POST", "send_text", '{"user_id": 1.5e400, "text": "hi"}', "user_id"),
    ("POST", "send_text", '{"user_id": true, "text": "hi"}', "user_id"),
    ("POST", "send_text", '{"user_id": 10001, "text": {"a": 1}}', "text"),
    ("POST", "send_text", '{"user_id": 10001, "text": "hi", "chat_id": [1]}', "chat_id"),
    ("POST", "send_text", '{"user_id": 10001, "text": "hi", "reply_to_message_id": "z"}', "reply"),
    ("POST", "users", '{"user_id": 10001, "language_code": 5}', "language_code"),
    ("POST", "users", '{"user_id": 10001, "first_name": ["x"]}', "first_name"),
    ("POST", "groups", '{"chat_id": "abc"}', "chat_id"),
    ("POST", "groups", '{"title": 5}', "title"),
    ("POST", "press", '{"user_id": 10001, "message_id": [], "callback_data": "x"}', "message_id"),
]


async def test_bad_query_and_body_values_are_json_400s_naming_the_field(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    for method, path, body, field in BAD_INPUT:
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": body, "headers": {"Content-Type": "application/json"}}
        async with http.request(method, f"{server.url}sandbox/api/{path}", **kwargs) as response:
            assert response.status == 400, (path, body, await response.text())
            answer = await response.json()
        assert answer["ok"] is False and field in answer["error"], (path, body, answer)
    # Nothing was half done: no user was created with a bad name or language.
    assert server.state.users.get(MERCHANT, {}).get("language_code") in (None, "zh-hans")
