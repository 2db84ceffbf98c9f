"""Personal data exists in plaintext only in memory.

A merchant applies with a known ID number, settlement card and phone; a reviewer approves, so
an application code is issued and delivered; merchant and staff quote the ID and card numbers
to each other on a support ticket; a daily summary is pushed; the merchant types the code in
/activate. Then every table, the database file, its -wal and -shm, and every file under
DATA_DIR are searched for those values in every common spelling, while the bot runs (before
the WAL is checkpointed) and again after a clean stop. Nothing may be found, and every file
must be readable by its owner only.

On PostgreSQL: every row of every table, and (on the tests' own cluster) the database's
files on disk after a CHECKPOINT, where dead row versions stay until vacuumed.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from telegram.ext import Application

from bot.crypto import generate_key
from bot.fulfilment.codes import normalize_code
from bot.reports import settlement
from bot.runner import stop_bot
from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import INDIVIDUAL_ZH, approve_on_card, fill, sign
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, SUPPORT_CHAT, BotRunner
from tests.e2e.harness import ChatUser
from tests.postgres import every_row, on_both_backends, read_rows, relation_files
from tests.settlement.conftest import add_transactions, txn

ID_NUMBER = "11010519491231002X"  # INDIVIDUAL_ZH types it as ...002x
CARD = "4111111111111111"  # typed as "4111 1111 1111 1111"
PHONE = "13800138000"  # typed as "+86 138-0013-8000"
REVIEWER_ID = 20001
AGENT_ID = 20002
CODE_RE = re.compile(r"ALP-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}")
EVENING = datetime.fromisoformat("2026-11-25T18:00:00+08:00")
AFTER_SUMMARY = datetime.fromisoformat("2026-11-25T21:31:00+08:00")
_FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋－",
)
# Separators people (and formatters) put between groups of digits.
_SEPARATORS = re.compile(r"[\s\-./·_]")


def _grouped(value: str, sizes: list[int], sep: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(value[start : start + size])
        start += size
    return sep.join(p for p in parts if p)


def spellings(id_number: str, card: str, phone: str, code: str) -> dict[str, set[str]]:
    """Every common way of writing each secret."""
    by_four = [4] * 8
    found: dict[str, set[str]] = {
        "ID number": {id_number, id_number[:-1]},  # also the 17 digits before the check char
        "card number": {card},
        "phone": {phone, f"+86{phone}", f"86{phone}", f"0086{phone}"},
        "application code": {code, code.replace("-", ""), normalize_code(code)},
    }
    for sep in (" ", "-"):
        found["ID number"] |= {
            _grouped(id_number, by_four, sep),
            _grouped(id_number, [6, 8, 4], sep),
        }
        found["card number"].add(_grouped(card, by_four, sep))
        found["phone"] |= {
            _grouped(phone, [3, 4, 4], sep),
            f"+86 {_grouped(phone, [3, 4, 4], sep)}",
            f"86 {_grouped(phone, [3, 4, 4], sep)}",
        }
        found["application code"].add(code.replace("-", sep))
        found["application code"].add(_grouped(normalize_code(code), [5, 5, 4], sep))
    for values in found.values():
        values |= {v.lower() for v in values}
        values |= {v.translate(_FULL_WIDTH) for v in values}
    return found


def canonical(text: str) -> str:
    """Full-width folded, separators removed, upper case: one spelling for all of them."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


class Scanner:
    """Looks for the secrets in text and bytes; collects where each was found."""

    def __init__(self, id_number: str, card: str, phone: str, code: str) -> None:
        self.spellings = spellings(id_number, card, phone, code)
        self.canonical = {
            "ID number": id_number,
            "card number": card,
            "phone": phone,
            "application code": normalize_code(code),
        }
        self.needles: list[tuple[str, bytes]] = []
        for kind, values in self.spellings.items():
            for value in values:
                self.needles.append((kind, value.encode("utf-8")))
                self.needles.append((kind, value.encode("utf-16-le")))
                # as json.dumps(ensure_ascii=True) would write it
                self.needles.append((kind, value.encode("ascii", "backslashreplace")))
        self.found: list[str] = []

    def text(self, where: str, value: str) -> None:
        """Search text: every spelling, and the canonical form of the whole."""
        for kind, values in self.spellings.items():
            for spelling in values:
                if spelling in value:
                    self.found.append(f"{kind} ({spelling!r}) in {where}")
        flat = canonical(value)
        for kind, secret in self.canonical.items():
            if secret in flat:
                self.found.append(f"{kind} (in some spelling) in {where}")

    def raw(self, where: str, data: bytes) -> None:
        """Search bytes: every spelling in every likely encoding, and the decoded text."""
        for kind, needle in self.needles:
            if needle in data:
                self.found.append(f"{kind} ({needle!r}) in the bytes of {where}")
        self.text(where, data.decode("utf-8", "ignore"))

    async def database(self, where: Path | str) -> None:
        """Every column of every row of every table (a SQLite file or a PostgreSQL URL)."""
        if isinstance(where, str):
            dumped = await every_row(where)
            assert {"inbox", "outbox", "user_sessions"} <= {table for table, _, _ in dumped}
            for table, columns, rows in dumped:
                for row in rows:
                    self.row(table, columns, row)
            for path in await relation_files(where):
                try:
                    content = path.read_bytes()
                except FileNotFoundError:
                    continue  # the server replaced its own cache file (pg_internal.init) meanwhile
                self.raw(f"PostgreSQL file {path.name}", content)
            return
        db = sqlite3.connect(f"file:{where}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            assert {"inbox", "outbox", "user_sessions"} <= set(tables)
            for table in tables:
                cursor = db.execute(f'SELECT * FROM "{table}"')
                columns = [c[0] for c in cursor.description]
                for row in cursor:
                    self.row(table, columns, row)
        finally:
            db.close()

    def row(self, table: str, columns: list[str], row: tuple) -> None:
        """Every column of one row."""
        for column, value in zip(columns, row, strict=True):
            where = f"{table}.{column}"
            if isinstance(value, bytes):
                self.raw(where, value)
            elif value is not None:
                self.text(where, str(value))

    def files(self, root: Path, database: Path) -> list[Path]:
        """Every file under DATA_DIR, and the database with its -wal and -shm wherever it is."""
        paths = {Path(d) / f for d, _, files in os.walk(root) for f in files}
        paths |= {
            p for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm")) if p.exists()
        }
        for path in sorted(paths):
            self.raw(str(path), path.read_bytes())
        return sorted(paths)


def assert_private(root: Path, files: list[Path]) -> None:
    """DATA_DIR and every directory in it 0700, every file 0600."""
    wrong = []
    for directory in [root, *(Path(d) / s for d, subs, _ in os.walk(root) for s in subs)]:
        mode = stat.S_IMODE(directory.stat().st_mode)
        if mode != 0o700:
            wrong.append(f"{directory} is {mode:o}")
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != 0o600:
            wrong.append(f"{path} is {mode:o}")
    assert not wrong, wrong


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer, tmp_path: Path) -> Settings:
    """ENCRYPTION_KEY set (no key file), the database inside DATA_DIR as by default."""
    return make_settings(
        bot_token=server.token,
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        support_chat_id=SUPPORT_CHAT,
        admin_ids=[ADMIN_ID],
        data_dir=tmp_path / "data",
        database_path=tmp_path / "data" / "merchant-bot.sqlite3",
        encryption_key=SecretStr(generate_key()),
        summary_tick_seconds=0.2,
    )


class Clock:
    """The bot's now for reports and summaries, moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


async def _card(server: BotApiServer, chat: int, fragment: str, mark: str = "") -> dict:
    """The application's (or, with mark 🎫, the ticket's) card in a staff chat."""
    for _ in range(80):
        for message in reversed(server.messages(chat)):
            text = message.get("text") or ""
            if fragment in text and mark in text and (mark or message.get("reply_markup")):
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no card with {fragment!r} in chat {chat}")


async def _staff(server: BotApiServer, chat: int, user_id: int, name: str, role: str) -> ChatUser:
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(chat)
    await admin.send(f"/staff add {user_id} {role}")
    await admin.reply()
    return ChatUser(server, user_id, name).in_chat(chat)


async def _apply_and_approve(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser
) -> tuple[str, str, dict]:
    """The whole form, submitted and approved: (application number, code, agreement)."""
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.press("确认提交")
    submitted = await merchant.expect("申请已提交")
    number = re.search(r"AP\d{8}-\d{4}", submitted["text"]).group(0)  # type: ignore[union-attr]
    await approve_on_card(reviewer, await _card(server, REVIEW_CHAT, number))
    await merchant.expect("已通过审核")
    voucher = await merchant.expect("申请码")
    code = CODE_RE.search(voucher["caption"]).group(0)  # type: ignore[union-attr]
    return number, code, await merchant.expect("服务协议")


async def _support_exchange(server: BotApiServer, merchant: ChatUser, agent: ChatUser) -> None:
    """Merchant and staff quote the ID and card numbers to each other, in several spellings."""
    await merchant.send("/support")
    await merchant.reply()
    await merchant.send(
        f"结算款没到账。身份证 {ID_NUMBER}，结算卡 4111 1111 1111 1111，手机 +86 138 0013 8000"
    )
    await merchant.reply()
    await merchant.press("提交工单")
    await merchant.expect("已提交")
    card = await _card(server, SUPPORT_CHAT, "T-000001", "🎫")
    await agent.send(
        "已核对身份证 110105-19491231-002x 和卡号 4111-1111-1111-1111，款项今晚到账",
        reply_to_message_id=card["message_id"],
    )
    await merchant.expect("款项今晚到账")
    wide = f"好的，卡号是{CARD}，身份证{ID_NUMBER}".translate(_FULL_WIDTH)
    await merchant.send(wide)
    await agent.expect("好的")
    await agent.send(f"/reply T-000001 收到，卡号 {CARD} 无误，身份证 {ID_NUMBER.lower()} 已核实")
    await merchant.expect("已核实")


async def _summary_push(app: Application, merchant: ChatUser, clock: Clock) -> None:
    """Transactions for the new merchant, then the summary time passes: the summary arrives."""
    storage = app.bot_data.storage
    async with storage.transaction() as repos:
        row = await repos.tx.fetchone(
            "SELECT merchant_no FROM merchants WHERE telegram_id = ?", (merchant.user_id,)
        )
        assert row is not None
        merchant_no = row["merchant_no"]
        await repos.tx.execute(  # a merchant since this morning, so today's summary is due
            "UPDATE merchants SET created_at = ? WHERE merchant_no = ?",
            ("2026-11-25T00:00:00+00:00", merchant_no),
        )
    await add_transactions(
        storage,
        txn("SCAN-S1", "sale", "100.00", "2026-11-25T12:00:00+08:00", merchant_no=merchant_no),
    )
    clock.moment = AFTER_SUMMARY
    await merchant.expect("日结算单")


async def _ship_and_activate(
    merchant: ChatUser, reviewer: ChatUser, number: str, code: str, agreement: dict
) -> None:
    await sign(merchant, agreement)
    await merchant.expect("协议已签署")
    await reviewer.send(f"/ship {number} SN880012345678 顺丰 SF1234567890")
    await merchant.expect("POS 机已寄出")
    await merchant.send("/activate")
    await merchant.reply()
    await merchant.send("SN8800-1234-5678")
    await merchant.reply()
    await merchant.send(code)
    await merchant.expect("激活成功")


@on_both_backends
async def test_no_plaintext_personal_data_in_the_database_its_wal_or_data_dir(
    server: BotApiServer,
    run_bot: BotRunner,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(EVENING)
    monkeypatch.setattr(settlement, "clock", clock)
    app = await run_bot(bot_settings)
    reviewer = await _staff(server, REVIEW_CHAT, REVIEWER_ID, "李审核", "reviewer")
    agent = await _staff(server, SUPPORT_CHAT, AGENT_ID, "王客服", "support")
    merchant = ChatUser(server, 10001, "小王")

    number, code, agreement = await _apply_and_approve(server, merchant, reviewer)
    await merchant.send("/code")
    await merchant.expect(code)
    await _support_exchange(server, merchant, agent)
    await _ship_and_activate(merchant, reviewer, number, code, agreement)
    await _summary_push(app, merchant, clock)
    await merchant.silence(1.0)  # everything delivered, every update handled

    data_dir, database = bot_settings.data_dir, bot_settings.database_path
    live = Scanner(ID_NUMBER, CARD, PHONE, code)
    files = live.files(data_dir, database)  # before the final checkpoint: the WAL as it is
    if isinstance(bot_settings.database, Path):
        assert Path(f"{database}-wal") in files and Path(f"{database}-shm") in files
    await live.database(bot_settings.database)
    assert not live.found, "\n".join(live.found)
    if not isinstance(bot_settings.database, Path):
        # Several instances keep each person's conversation state (ticket in focus, the serial
        # typed after /activate) in user_sessions: scanned above, and sealed.
        states = read_rows(bot_settings, "SELECT state FROM user_sessions WHERE user_id = ?", 10001)
        assert len(states) == 1 and states[0][0].startswith("v1:"), states
    assert_private(data_dir, files)

    await stop_bot(app)
    stopped = Scanner(ID_NUMBER, CARD, PHONE, code)
    files = stopped.files(data_dir, database)
    await stopped.database(bot_settings.database)
    assert not stopped.found, "\n".join(stopped.found)
    assert_private(data_dir, files)
    assert read_rows(bot_settings, "SELECT COUNT(*) FROM inbox") == [(0,)]
    assert read_rows(bot_settings, "SELECT COUNT(*) FROM outbox WHERE payload != ''") == [(0,)]
