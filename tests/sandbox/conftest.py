"""Fixtures: a started sandbox server, a python-telegram-bot Bot and a raw HTTP session."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot

from sandbox.guard import SECRET_HEADER
from sandbox.server import BotApiServer

MERCHANT = 10001
STAFF = 20001
GROUP = -1001000000001


def png_bytes(width: int, height: int) -> bytes:
    """A tiny valid PNG of the given size (content is irrelevant, the header matters)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    """A sandbox on a free port with a merchant, a staff member and a staff group."""
    srv = BotApiServer()
    await srv.start()
    srv.add_user(MERCHANT, "小王")
    srv.add_user(STAFF, "审核员 李")
    srv.add_group(GROUP, "审核群")
    yield srv
    await srv.stop()


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    """A real python-telegram-bot Bot pointed at the sandbox."""
    urls = {"base_url": server.base_url, "base_file_url": server.file_base_url}
    async with Bot(server.token, **urls) as tg:
        yield tg


@pytest.fixture
async def http(server: BotApiServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client for wire-level checks, holding the server's control secret."""
    async with aiohttp.ClientSession(headers=secret_header(server)) as session:
        yield session


def secret_header(server: BotApiServer) -> dict[str, str]:
    """What the chat page sends on every control API call."""
    return {SECRET_HEADER: server.secret}


def api_url(server: BotApiServer, method: str) -> str:
    """The URL of a Bot API method with the server's token."""
    return f"{server.base_url}{server.token}/{method}"
