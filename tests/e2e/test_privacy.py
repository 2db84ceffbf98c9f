"""Consent and data rights (PIPL) as a merchant lives them, through the local Bot API server."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.privacy import POLICY_VERSION, export
from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import (
    ENTERPRISE_EN,
    INDIVIDUAL_ZH,
    agree,
    fill,
    give,
    is_consent,
    sign,
)
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT
from tests.e2e.files import png
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import CODE, REVIEWER_ID, approve, submit
from tests.postgres import on_both_backends, read_rows

ID_NUMBER = "11010519491231002X"


@pytest.fixture
async def staff(server: BotApiServer, bot: Application) -> ChatUser:
    """A reviewer in the review group."""
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    await admin.reply()
    return ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)


def query(settings: Settings, sql: str, *params: object) -> list[tuple]:
    return read_rows(settings, sql, *params)


def stored_files(settings: Settings) -> set[str]:
    return {p.name for p in (settings.data_dir / "documents").rglob("*") if p.is_file()}


async def open_export(user: ChatUser) -> tuple[dict, zipfile.ZipFile]:
    """Send /mydata and open the ZIP the bot delivers."""
    await user.send("/mydata")
    message = await user.reply()
    assert message.get("document"), message
    archive = zipfile.ZipFile(io.BytesIO(user.server.file_bytes(message["document"]["file_id"])))
    return json.loads(archive.read("data.json")), archive


@on_both_backends
async def test_notice_comes_before_the_first_question_and_declining_collects_nothing(
    merchant: ChatUser, bot_settings: Settings
) -> None:
    await merchant.send("/apply")
    assert "一共 17 步" in await merchant.reply_text()
    notice = await merchant.reply()
    body = notice["text"]
    assert "身份证号码" in body and "结算账户" in body and "敏感个人信息" in body
    assert "审核人员和客服人员" in body and "90 天" in body and "单独同意" in body
    assert merchant.buttons(notice) == ["✅ 我同意", "不同意，结束申请"]
    # An answer typed before agreeing is not taken: the notice comes again.
    await merchant.send("个体工商户")
    assert is_consent(merchant, await merchant.reply())
    explained = await merchant.reply_text()
    assert "我同意" in explained and "没有保存" in explained
    await merchant.press("不同意", notice)
    reply = await merchant.reply_text()
    assert "没有收集" in reply and "/apply" in reply
    assert "第 1/17 步" not in "".join(
        m.get("text", "") for m in merchant.server.messages(merchant.chat_id)
    )
    uid = merchant.user_id
    assert query(bot_settings, "SELECT * FROM applications WHERE merchant_id = ?", uid) == []
    assert query(bot_settings, "SELECT * FROM application_answers") == []
    assert query(bot_settings, "SELECT * FROM consents") == []
    # Coming back with /apply asks again.
    await merchant.send("/apply")
    await merchant.reply()
    assert is_consent(merchant, await merchant.reply())


@on_both_backends
async def test_agreeing_records_version_and_time_and_is_asked_once(
    merchant: ChatUser, bot_settings: Settings
) -> None:
    before = datetime.now(UTC)
    await merchant.send("/apply")
    await merchant.reply()
    first = await agree(merchant, await merchant.reply())
    assert "第 1/17 步" in first["text"]
    ((version, digest, agreed_at, withdrawn),) = query(
        bot_settings,
        "SELECT version, text_sha256, agreed_at, withdrawn_at FROM consents WHERE telegram_id = ?",
        merchant.user_id,
    )
    assert version == POLICY_VERSION and re.fullmatch(r"[0-9a-f]{64}", digest)
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(agreed_at) <= datetime.now(UTC)
    assert withdrawn is None
    # The notice message now says when they agreed, and has no buttons left.
    notice = next(m for m in merchant.server.messages(merchant.chat_id) if "版本" in m["text"])
    assert "您已于" in notice["text"] and not notice.get("reply_markup")
    # Discarding and starting again does not ask a second time.
    await merchant.send("/cancel")
    await merchant.reply()
    await merchant.press("是的，放弃申请")
    await merchant.reply()
    await merchant.send("/apply")
    await merchant.reply()
    assert "第 1/17 步" in await merchant.reply_text()


@on_both_backends
async def test_draft_from_before_the_notice_asks_consent_before_the_next_question(
    merchant: ChatUser, bot_settings: Settings
) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:4])
    read_rows(bot_settings, "DELETE FROM consents")  # as if the draft was made before this feature
    await give(merchant, INDIVIDUAL_ZH[4])
    notice = await merchant.reply()
    assert is_consent(merchant, notice)
    assert "没有保存" in await merchant.reply_text()  # why the answer was not taken
    assert (
        query(bot_settings, "SELECT 1 FROM application_answers WHERE field = 'legal_rep_name'")
        == []
    )
    # Resuming does not skip it either.
    await merchant.send("/apply")
    await merchant.reply()
    await merchant.press("继续填写")
    notice = await merchant.reply()
    assert is_consent(merchant, notice)
    assert "第 5/17 步" in (await agree(merchant, notice))["text"]
    await give(merchant, INDIVIDUAL_ZH[4])
    assert "第 6/17 步" in await merchant.reply_text()


@on_both_backends
async def test_privacy_shows_what_is_held_masked(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.press("确认提交")
    submitted = await merchant.expect("申请已提交")
    number = re.search(r"AP\d{8}-\d{4}", submitted["text"]).group(0)  # type: ignore[union-attr]
    await merchant.send("/privacy")
    message = await merchant.reply()
    body = message["text"]
    assert number in body and "110105********002X" in body and ID_NUMBER not in body
    assert "4111 **** **** 1111" in body and "4111111111111111" not in body
    assert "138****8000" in body and "13800138000" not in body
    assert "王小明" not in body and "王*明" in body
    assert "证件文件：3 个" in body and f"版本 {POLICY_VERSION}" in body
    assert merchant.buttons(message) == ["📦 导出我的数据", "🗑 删除我的数据"]


@on_both_backends
async def test_mydata_exports_own_data_and_documents_only(
    server: BotApiServer, merchant: ChatUser, english_merchant: ChatUser, bot_settings: Settings
) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    await fill(english_merchant, ENTERPRISE_EN)
    data, archive = await open_export(merchant)
    (application,) = data["applications"]
    assert application["answers"]["legal_rep_id"] == ID_NUMBER
    assert application["answers"]["account_number"] == "4111111111111111"
    licence = next(d for d in application["documents"] if d["slot"] == "licence")
    assert archive.read(licence["file"]) == png(1)
    assert data["consents"][0]["version"] == POLICY_VERSION
    assert data["profile"]["first_name"] == "小王"

    other, other_archive = await open_export(english_merchant)
    raw = json.dumps(other, ensure_ascii=False)
    assert ID_NUMBER not in raw and "440524200001010013" in raw
    assert all(png(1) != other_archive.read(n) for n in other_archive.namelist())
    actions = query(bot_settings, "SELECT telegram_id, action FROM privacy_events")
    assert (merchant.user_id, "export") in actions

    # In a group it shows nothing and says where to use it.
    group = ChatUser(server, merchant.user_id, "小王").in_chat(REVIEW_CHAT)
    await group.send("/mydata")
    reply = await group.reply()
    assert "私聊" in reply["text"] and not reply.get("document")


async def test_mydata_too_big_for_one_telegram_file_comes_in_several_zips(
    merchant: ChatUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telegram takes files of at most 50 MB; here the limit is a few photos' worth.
    limit = 2 * len(png(1))
    monkeypatch.setattr(export, "MAX_ZIP_BYTES", limit)
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.send("/mydata")
    first = await merchant.reply()
    match = re.search(r"第 1/(\d+) 部分", first["caption"])
    assert match and "data.json" in first["caption"], first["caption"]
    parts = [first] + [await merchant.reply() for _ in range(int(match.group(1)) - 1)]
    assert len(parts) >= 2
    names: list[str] = []
    for n, message in enumerate(parts, start=1):
        assert message["document"]["file_name"] == f"mydata-{n}-of-{len(parts)}.zip"
        assert f"第 {n}/{len(parts)} 部分" in message["caption"]
        content = merchant.server.file_bytes(message["document"]["file_id"])
        assert len(content) <= limit
        names += zipfile.ZipFile(io.BytesIO(content)).namelist()
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(merchant.server.file_bytes(first["document"]["file_id"]))).read(
            "data.json"
        )
    )
    (application,) = data["applications"]
    files = sorted(d["file"] for d in application["documents"])
    assert len(files) == 3 and sorted(names) == sorted(["data.json", *files])


@on_both_backends
async def test_erasure_refused_while_under_review(
    merchant: ChatUser, staff: ChatUser, bot_settings: Settings
) -> None:
    number = await submit(merchant)
    await merchant.send("/deletemydata")
    reply = await merchant.reply_text()
    assert number in reply and "/cancel" in reply
    assert query(bot_settings, "SELECT COUNT(*) FROM application_documents") == [(3,)]


@on_both_backends
async def test_erasure_deletes_documents_and_answers_but_keeps_the_signed_agreement(
    merchant: ChatUser, staff: ChatUser, bot_settings: Settings
) -> None:
    number = await submit(merchant)
    code = await approve(staff, merchant, number)
    assert CODE.fullmatch(code)
    await sign(merchant, await merchant.expect("服务协议"))
    await merchant.expect("协议已签署")
    await staff.send(f"/ship {number} SN880012345678 顺丰 SF1234567890")
    await merchant.expect("POS 机已寄出")
    await merchant.send("/activate")
    await merchant.reply()
    await merchant.send("SN880012345678")
    await merchant.reply()
    await merchant.send(code)
    await merchant.expect("激活成功")
    files_before = stored_files(bot_settings)
    assert len(files_before) == 3

    await merchant.send("/deletemydata")
    confirm = await merchant.reply()
    assert "将保留" in confirm["text"] and "5 年" in confirm["text"]
    await merchant.press("确认删除", confirm)
    done = await merchant.reply_text()
    assert "已删除" in done and "证件文件 3 个" in done
    assert "已签署协议的记录" in done and "合同结束后 5 年" in done

    # The documents are gone (rows and encrypted files), and so are the personal answers.
    assert query(bot_settings, "SELECT * FROM application_documents") == []
    assert stored_files(bot_settings) == set()
    fields = {r[0] for r in query(bot_settings, "SELECT field FROM application_answers")}
    assert fields == {"subject_type", "merchant_name", "credit_code", "category"}
    assert query(
        bot_settings,
        "SELECT first_name, username FROM users WHERE telegram_id = ?",
        merchant.user_id,
    ) == [("", None)]
    # The contract record stays: the application, its signature, shipment and terminal.
    assert query(bot_settings, "SELECT number, state FROM applications") == [(number, "activated")]
    assert len(query(bot_settings, "SELECT * FROM agreement_signatures")) == 1
    assert len(query(bot_settings, "SELECT * FROM terminals")) == 1
    # The consent stays as proof, withdrawn; the next /apply would ask again.
    assert query(bot_settings, "SELECT withdrawn_at IS NOT NULL FROM consents") == [(1,)]
    # The audit says who, what and when, and holds no personal data.
    ((detail,),) = query(bot_settings, "SELECT detail FROM privacy_events WHERE action = 'erase'")
    assert json.loads(detail)["deleted"]["documents"] == 3
    assert "contract" in json.loads(detail)["kept"]
    assert ID_NUMBER not in detail and "小王" not in detail and "王小明" not in detail

    # What is left is what /privacy and /mydata show.
    data, archive = await open_export(merchant)
    raw = json.dumps(data, ensure_ascii=False)
    assert ID_NUMBER not in raw and "4111111111111111" not in raw and code not in raw
    assert archive.namelist() == ["data.json"]
    assert data["applications"][0]["agreement_signature"]["version"] == "v2"


@on_both_backends
async def test_erasure_of_a_draft_removes_it_entirely(
    merchant: ChatUser, bot_settings: Settings
) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:8])
    await merchant.send("/deletemydata")
    confirm = await merchant.reply()
    assert "将保留" not in confirm["text"]
    await merchant.press("不删除", confirm)
    assert "没有删除" in await merchant.reply_text()
    assert len(stored_files(bot_settings)) == 3
    # On PostgreSQL (several instances) what the conversation holds is stored per person.
    sessions = "SELECT COUNT(*) FROM user_sessions WHERE user_id = ?"
    on_postgres = not isinstance(bot_settings.database, Path)
    assert query(bot_settings, sessions, merchant.user_id) == [(1 if on_postgres else 0,)]
    await merchant.send("/privacy")
    await merchant.press("删除我的数据", await merchant.reply())
    await merchant.press("确认删除", await merchant.reply())
    assert "已删除" in await merchant.reply_text()
    assert query(bot_settings, "SELECT * FROM applications") == []
    assert stored_files(bot_settings) == set()
    assert query(bot_settings, sessions, merchant.user_id) == [(0,)]
    # Asked again before a new application.
    await merchant.send("/apply")
    await merchant.reply()
    assert is_consent(merchant, await merchant.reply())
