"""The sandbox on a developer's laptop: what a hostile web page (or DNS rebinding) cannot do.

A page on another site can make the browser send requests to 127.0.0.1, but cannot read the
chat page's secret, set custom headers without a CORS preflight (which the sandbox never
grants), choose the Host or Origin the browser sends, or know the per-run bot token.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.guard import SECRET_HEADER, allowed_hosts
from sandbox.server import BotApiServer
from tests.sandbox.conftest import MERCHANT, api_url, png_bytes

UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


@pytest.fixture
async def bare() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that knows neither the secret nor the token: what another site's page has."""
    async with aiohttp.ClientSession() as session:
        yield session


def snapshot(server: BotApiServer) -> tuple[int, list[dict[str, Any]], list[int]]:
    """Everything a refused request must leave alone: the feed, the chat, the users."""
    return server.last_seq(), server.messages(MERCHANT), sorted(server.state.users)


def control(server: BotApiServer, path: str) -> str:
    return f"{server.url}sandbox/api/{path}"


async def post_status(
    http: aiohttp.ClientSession, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(url, **kwargs) as response:
        return response.status, await response.json()


# ----- cross-origin requests -----------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # sandboxed iframes and file:// pages
        {"Origin": "http://127.0.0.1:1"},  # another local port is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_cross_origin_post_is_refused_and_no_message_appears(
    server: BotApiServer, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    before = snapshot(server)
    # Even with the secret (which a foreign page cannot read) the origin alone refuses it.
    status, body = await post_status(
        http,
        control(server, "send_text"),
        json={"user_id": MERCHANT, "text": "/staff add 666 admin"},
        headers=headers,
    )
    assert status == 403 and body["ok"] is False and "cross-origin" in body["error"]
    assert snapshot(server) == before


async def test_the_pages_own_same_origin_post_is_accepted(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    origin = f"http://127.0.0.1:{server.port}"
    status, body = await post_status(
        http,
        control(server, "send_text"),
        json={"user_id": MERCHANT, "text": "你好"},
        headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
    )
    assert status == 200, body
    assert server.messages(MERCHANT)[-1]["text"] == "你好"


# ----- the Host header (DNS rebinding) -------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", ""])
@pytest.mark.parametrize(
    "where", ["", "sandbox/api/state", "sandbox/api/send_text", "bot{token}/getMe"]
)
async def test_wrong_host_is_refused_on_page_control_api_and_bot_api(
    server: BotApiServer, http: aiohttp.ClientSession, host: str, where: str
) -> None:
    before = snapshot(server)
    url = server.url + where.format(token=server.token)
    headers = {"Host": host.format(port=server.port)}
    payload = {"user_id": MERCHANT, "text": "rebound"}
    async with http.post(url, json=payload, headers=headers) as response:
        assert response.status == 421
        body = await response.json()
    assert body["ok"] is False
    assert snapshot(server) == before


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "[::1]", "127.0.0.1"])
async def test_loopback_names_with_the_right_port_are_served(
    server: BotApiServer, http: aiohttp.ClientSession, name: str
) -> None:
    async with http.get(server.url, headers={"Host": f"{name}:{server.port}"}) as response:
        assert response.status == 200


def test_a_deliberate_sandbox_host_is_allowed_too() -> None:
    assert "devbox.lan" in allowed_hosts("devbox.lan")
    assert "[fd00::5]" in allowed_hosts("fd00::5")
    assert {"127.0.0.1", "localhost", "[::1]"} <= allowed_hosts("127.0.0.1")
    assert "evil.example" not in allowed_hosts("127.0.0.1")


# ----- the per-run secret --------------------------------------------------------------------
async def test_page_is_served_with_this_runs_secret_and_cannot_be_framed(
    server: BotApiServer, bare: aiohttp.ClientSession
) -> None:
    async with bare.get(server.url) as response:
        html = await response.text()
        headers = response.headers
    found = re.search(r'<meta name="sandbox-secret" content="([^"]+)">', html)
    assert found and found.group(1) == server.secret
    assert headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert BotApiServer().secret != server.secret  # random per run


@pytest.mark.parametrize("secret", [None, "", "wrong", "秘密"])
@pytest.mark.parametrize("method, path", [("GET", "state"), ("POST", "send_text")])
async def test_missing_or_wrong_secret_is_403(
    server: BotApiServer,
    bare: aiohttp.ClientSession,
    secret: str | None,
    method: str,
    path: str,
) -> None:
    before = snapshot(server)
    headers = {} if secret is None else {SECRET_HEADER: secret}
    payload = {"user_id": MERCHANT, "text": "hi"}
    async with bare.request(
        method, control(server, path), json=payload, headers=headers
    ) as response:
        body = await response.json()
    assert response.status == 403
    assert body == {"ok": False, "error": f"missing or wrong {SECRET_HEADER}"}
    assert snapshot(server) == before


async def test_the_live_feed_needs_the_secret_too(
    server: BotApiServer, bare: aiohttp.ClientSession
) -> None:
    async with bare.get(control(server, "stream?secret=wrong")) as response:
        assert response.status == 403
    async with bare.get(control(server, f"stream?secret={server.secret}")) as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"


async def test_uploads_need_the_secret_header(
    server: BotApiServer, bare: aiohttp.ClientSession
) -> None:
    before = snapshot(server)
    form = aiohttp.FormData()
    form.add_field("user_id", str(MERCHANT))
    form.add_field("file", png_bytes(2, 2), filename="p.png", content_type="image/png")
    status, _ = await post_status(bare, control(server, "upload"), data=form)
    assert status == 403
    assert snapshot(server) == before


# ----- content types a cross-site form can send ----------------------------------------------
@pytest.mark.parametrize(
    "content_type, data",
    [
        ("text/plain", '{"user_id": 10001, "text": "/staff add 666 admin"}'),
        ("application/x-www-form-urlencoded", "user_id=10001&text=%2Fstaff+add+666+admin"),
        ("multipart/form-data; boundary=x", "--x\r\n\r\n--x--\r\n"),
        (None, '{"user_id": 10001, "text": "/staff add 666 admin"}'),
    ],
)
async def test_non_json_posts_are_refused_with_415(
    server: BotApiServer, http: aiohttp.ClientSession, content_type: str | None, data: str
) -> None:
    before = snapshot(server)
    headers = {"Content-Type": content_type} if content_type else {}
    skip = () if content_type else ("Content-Type",)
    async with aiohttp.ClientSession(
        headers={SECRET_HEADER: server.secret}, skip_auto_headers=skip
    ) as session:
        status, body = await post_status(
            session, control(server, "send_text"), data=data.encode(), headers=headers
        )
    assert status == 415 and "application/json" in body["error"]
    assert snapshot(server) == before


async def test_upload_takes_only_multipart(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    status, body = await post_status(http, control(server, "upload"), json={"user_id": MERCHANT})
    assert status == 415 and "multipart/form-data" in body["error"]


# ----- the Bot API token ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "token",
    [
        "7000000001:sandbox-token-not-a-secret-aaaaaaaaaaaa",  # the old fixed sandbox token
        "123:other",
        "{token}x",  # one character off
    ],
)
async def test_any_other_bot_token_gets_telegrams_401(
    server: BotApiServer, bare: aiohttp.ClientSession, token: str
) -> None:
    before = snapshot(server)
    url = f"{server.base_url}{token.format(token=server.token)}/sendMessage"
    status, body = await post_status(bare, url, json={"chat_id": MERCHANT, "text": "spoof"})
    assert (status, body) == (401, UNAUTHORIZED)
    assert snapshot(server) == before


async def test_the_bot_api_refuses_a_foreign_origin_even_with_the_token(
    server: BotApiServer, bare: aiohttp.ClientSession
) -> None:
    before = snapshot(server)
    status, body = await post_status(
        bare,
        api_url(server, "sendMessage"),
        json={"chat_id": MERCHANT, "text": "spoof"},
        headers={"Origin": "http://evil.example"},
    )
    assert status == 403 and body["ok"] is False and body["error_code"] == 403
    assert snapshot(server) == before


def test_each_server_has_its_own_random_token() -> None:
    one, two = BotApiServer(), BotApiServer()
    assert one.token != two.token
    assert one.token.startswith("7000000001:") and len(one.token.split(":")[1]) >= 32


# ----- file paths ----------------------------------------------------------------------------
async def file_path(http: aiohttp.ClientSession, server: BotApiServer, file_id: str) -> str:
    status, body = await post_status(http, api_url(server, "getFile"), json={"file_id": file_id})
    assert status == 200, body
    return str(body["result"]["file_path"])


async def test_uploaded_file_paths_are_random_and_a_guessed_path_404s(
    server: BotApiServer, http: aiohttp.ClientSession
) -> None:
    first = await server.send_photo(MERCHANT, png_bytes(3, 3))
    second = await server.send_photo(MERCHANT, png_bytes(4, 4))
    ids = [first["photo"][-1]["file_id"], second["photo"][-1]["file_id"]]
    paths = [await file_path(http, server, file_id) for file_id in ids]
    assert paths[0] != paths[1]
    assert not any(re.search(r"file_\d+\.", path) for path in paths)  # no counter
    for path in paths:
        assert len(path.rsplit("file_", 1)[1].split(".")[0]) >= 20
    downloads = f"{server.file_base_url}{server.token}"
    for guess in ("photos/file_0.png", "photos/file_1.png", "photos/file_0.jpg"):
        async with http.get(f"{downloads}/{guess}") as response:
            assert response.status == 404
    async with http.get(f"{downloads}/{paths[1]}") as response:
        assert response.status == 200 and await response.read() == png_bytes(4, 4)


async def test_file_downloads_need_the_right_token(
    server: BotApiServer, bare: aiohttp.ClientSession, http: aiohttp.ClientSession
) -> None:
    sent = await server.send_photo(MERCHANT, png_bytes(3, 3))
    path = await file_path(http, server, sent["photo"][-1]["file_id"])
    async with bare.get(f"{server.file_base_url}123:other/{path}") as response:
        assert response.status == 401
        assert await response.json() == UNAUTHORIZED
