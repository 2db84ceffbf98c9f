"""Staff review, the application code and voucher, agreement, shipping and activation.

Everything goes through the local Bot API server: merchants in their private chat, staff in
the review group, exactly as on Telegram.
"""

from __future__ import annotations

import asyncio
import io
import re

import pytest
import zxingcpp
from PIL import Image
from telegram.ext import Application

from bot.fulfilment.codes import normalize_code
from bot.runner import stop_bot
from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import INDIVIDUAL_ZH, approve_on_card, fill, sign
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT, BotRunner
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends, read_rows

REVIEWER_ID = 20001
CODE = re.compile(r"ALP-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}")


@pytest.fixture
async def reviewer(server: BotApiServer, bot: Application) -> ChatUser:
    """A reviewer in the review group, given the role by the admin with /staff add."""
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    assert "审核员" in await admin.reply_text()
    return ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)


async def submit(merchant: ChatUser) -> str:
    """Fill the whole form and submit; return the application number."""
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.press("确认提交")
    message = await merchant.expect("申请已提交")
    match = re.search(r"AP\d{8}-\d{4}", message["text"])
    assert match
    return match.group(0)


async def card_of(reviewer: ChatUser, number: str) -> dict:
    """The application's card in the review chat (posted by the outbox sender)."""
    for _ in range(80):
        for message in reversed(reviewer.server.messages(REVIEW_CHAT)):
            if number in (message.get("text") or "") and message.get("reply_markup"):
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no card for {number} in the review chat")


async def approve(reviewer: ChatUser, merchant: ChatUser, number: str) -> str:
    """Approve from the card; return the code from the voucher the merchant receives."""
    await approve_on_card(reviewer, await card_of(reviewer, number))
    await merchant.expect("已通过审核")
    voucher = await merchant.expect("申请码")
    assert voucher.get("photo"), "the voucher comes as a photo"
    match = CODE.search(voucher["caption"])
    assert match
    return match.group(0)


def decode_qr(server: BotApiServer, message: dict) -> str:
    """Read the QR code on a photo the bot sent, with a real decoder."""
    data = server.file_bytes(message["photo"][-1]["file_id"])
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert results, "no QR code found on the voucher"
    return results[0].text


@on_both_backends
async def test_apply_review_approve_sign_ship_activate(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    number = await submit(merchant)

    card = await card_of(reviewer, number)
    body = card["text"]
    # Staff see the fields with the ID, account and phone masked, and the documents.
    assert "杭州西湖小王便利店" in body and "110105********002X" in body
    assert "11010519491231002X" not in body and "4111111111111111" not in body
    assert "13800138000" not in body and "138****8000" in body
    assert reviewer.buttons(card) == ["🙋 领取", "✅ 通过", "❌ 退回"]
    photos = [m for m in server.messages(REVIEW_CHAT) if m.get("photo")]
    assert len(photos) == 3  # licence, ID front, ID back (storefront skipped)

    await reviewer.press("领取", card)
    taken = await reviewer.edited()
    assert "审核中" in taken["text"] and "李审核" in taken["text"]
    assert "领取" not in " ".join(reviewer.buttons(taken))
    await merchant.expect("开始审核")

    code = await approve(reviewer, merchant, number)
    voucher = [m for m in server.messages(merchant.chat_id) if m.get("photo")][-1]
    assert decode_qr(server, voucher) == code
    agreement = await merchant.expect("服务协议")
    assert merchant.buttons(agreement) == ["✍️ 我同意并签署"]
    merchant_no = read_rows(bot_settings, "SELECT merchant_no FROM applications")[0][0]
    stored = read_rows(bot_settings, "SELECT merchant_no, telegram_id FROM merchants")
    assert re.fullmatch(r"\d{15}", merchant_no) and stored == [(merchant_no, merchant.user_id)]

    # /code shows it again to its owner, and to nobody else.
    await merchant.send("/code")
    assert code in await merchant.reply_text()
    stranger = ChatUser(server, 10009, "路人")
    await stranger.send("/code")
    text = await stranger.reply_text()
    assert code not in text and "还没有申请码" in text

    await sign(merchant, agreement)
    await merchant.expect("协议已签署")
    await reviewer.expect(f"/ship {number}")
    [(version, digest)] = read_rows(
        bot_settings, "SELECT version, text_sha256 FROM agreement_signatures"
    )
    assert version == "v2" and re.fullmatch(r"[0-9a-f]{64}", digest)
    # /agreement re-sends exactly the text that was signed, and its fingerprint.
    await merchant.send("/agreement")
    assert await merchant.reply_text() == agreement["text"]
    assert digest in await merchant.reply_text()

    await reviewer.send(f"/ship {number} SN880012345678 顺丰 SF1234567890")
    assert "已寄出" in await reviewer.reply_text()
    shipped = await merchant.expect("POS 机已寄出")
    assert "顺丰" in shipped["text"] and "SF1234567890" in shipped["text"]

    await merchant.send("/activate")
    assert "序列号" in await merchant.reply_text()
    await merchant.send("sn8800-1234-5678")
    assert "SN880012345678" in await merchant.reply_text()
    await merchant.send(code.lower().replace("-", " "))
    done = await merchant.expect("激活成功")
    assert "开机" in done["text"] and "操作员号码和密码" in done["text"]

    await merchant.send("/status")
    status = await merchant.reply_text()
    assert "已激活" in status and status.count("✅") == 6


@on_both_backends
async def test_reject_two_fields_then_fix_only_those_and_approve(
    merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant)
    card = await card_of(reviewer, number)
    await reviewer.press("退回", card)
    picker = await reviewer.expect("勾选")
    await reviewer.press("商户名称", picker)
    picker = await reviewer.edited()
    await reviewer.press("联系手机", picker)
    picker = await reviewer.edited()
    assert "☑️ 商户名称" in reviewer.buttons(picker)
    await reviewer.press("下一步", picker)
    prompt = await reviewer.expect("商户名称")
    await reviewer.server.send_text(
        REVIEWER_ID,
        "与营业执照不一致",
        chat_id=REVIEW_CHAT,
        reply_to_message_id=prompt["message_id"],
    )
    prompt = await reviewer.expect("联系手机")
    await reviewer.server.send_text(
        REVIEWER_ID,
        "无法接通，请换一个手机号",
        chat_id=REVIEW_CHAT,
        reply_to_message_id=prompt["message_id"],
    )
    summary = await reviewer.expect("请确认")
    assert "与营业执照不一致" in summary["text"]
    await reviewer.press("确认退回", summary)

    rejected = await merchant.expect("需要修改")
    assert "商户名称" in rejected["text"] and "与营业执照不一致" in rejected["text"]
    assert "联系手机" in rejected["text"] and "无法接通" in rejected["text"]
    assert "身份证号码" not in rejected["text"]
    await merchant.press("修改资料", rejected)
    first = await merchant.reply_text()
    assert "商户名称" in first
    await merchant.send("杭州西湖小王便利店（文三路店）")
    assert "手机" in await merchant.reply_text()  # the phone, nothing in between
    await merchant.send("13900139000")
    review = await merchant.reply_text()
    assert "请核对" in review and "（文三路店）" in review and "139****9000" in review
    await merchant.press("确认提交")
    await merchant.expect("已重新提交")

    # The reviewers see the resubmission with what changed highlighted.
    card = await card_of(reviewer, number)
    while "重新提交" not in card["text"]:
        await asyncio.sleep(0.1)
        card = await card_of(reviewer, number)
    assert "🆕 商户名称" in card["text"] and "🆕 联系手机" in card["text"]
    assert "🆕 身份证号码" not in card["text"]
    await approve(reviewer, merchant, number)


@on_both_backends
async def test_unauthorised_user_cannot_approve(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    number = await submit(merchant)
    card = await card_of(reviewer, number)
    intruder = ChatUser(server, 30003, "路人甲").in_chat(REVIEW_CHAT)
    await intruder.press("通过", card)
    await asyncio.sleep(0.5)
    answers = server.callback_answers()
    assert any("没有权限" in (a.get("text") or "") for a in answers)
    assert read_rows(bot_settings, "SELECT state FROM applications") == [("submitted",)]
    # A forged command is refused the same way.
    await intruder.send(f"/ship {number} SN88001234567 顺丰 X1")
    assert "没有权限" in await intruder.reply_text()


@on_both_backends
async def test_two_simultaneous_approvals_make_one_transition(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    number = await submit(merchant)
    card = await card_of(reviewer, number)
    await reviewer.press("通过", card)
    confirm = await reviewer.expect("确认通过申请")
    _, data = reviewer.find_button("确认通过", confirm)
    await asyncio.gather(
        server.press_button(REVIEWER_ID, confirm["message_id"], data, chat_id=REVIEW_CHAT),
        server.press_button(ADMIN_ID, confirm["message_id"], data, chat_id=REVIEW_CHAT),
    )
    await merchant.expect("已通过审核")
    await merchant.expect("申请码")
    await merchant.expect("服务协议")
    await merchant.silence(1.5)  # one approval, one code, one agreement: nothing twice
    [(approvals,)] = read_rows(
        bot_settings, "SELECT COUNT(*) FROM application_events WHERE to_state = 'approved'"
    )
    [(codes,)] = read_rows(bot_settings, "SELECT COUNT(*) FROM application_codes")
    assert approvals == 1 and codes == 1
    assert any("已被处理" in (a.get("text") or "") for a in server.callback_answers())
    del admin


async def _shipped(merchant: ChatUser, reviewer: ChatUser) -> str:
    number = await submit(merchant)
    code = await approve(reviewer, merchant, number)
    await sign(merchant, await merchant.expect("服务协议"))
    await merchant.expect("协议已签署")
    await reviewer.expect(f"/ship {number}")  # the group is told it may ship
    await reviewer.send(f"/ship {number} SN88001234567 顺丰 SF1")
    # The staff member's confirmation and the merchant's notice travel separately: take both,
    # so the confirmation cannot be read later as the answer to the staff's next command.
    assert "已寄出" in await reviewer.reply_text()
    await merchant.expect("POS 机已寄出")
    return code


@pytest.fixture
def bot_settings(make_settings, server: BotApiServer) -> Settings:
    """Short activation lock so the unlock can be seen within the test."""
    return make_settings(
        telegram_base_url=server.base_url,
        telegram_file_base_url=server.file_base_url,
        review_chat_id=REVIEW_CHAT,
        admin_ids=[ADMIN_ID],
        activation_lock_minutes=0.05,  # 3 seconds
    )


@on_both_backends
async def test_activation_lockout_and_unlock(merchant: ChatUser, reviewer: ChatUser) -> None:
    code = await _shipped(merchant, reviewer)
    wrong = "ALP-00000-00000-0000"
    assert normalize_code(wrong)  # a well-formed code that belongs to nobody
    # A typo is caught by the check character before any lookup and is not counted.
    typo = code[:-2] + ("B" if code[-2] != "B" else "C") + code[-1]
    await merchant.send(f"/activate SN88001234567 {typo}")
    assert "校验位不匹配" in await merchant.reply_text()
    for attempt in range(4):
        await merchant.send(f"/activate SN88001234567 {wrong}")
        assert f"还可以再试 {4 - attempt} 次" in await merchant.reply_text()
    await merchant.send(f"/activate SN88001234567 {wrong}")
    assert "已锁定" in await merchant.reply_text()
    await reviewer.expect("连续 5 次输错")
    # Even the right code is refused while locked.
    await merchant.send(f"/activate SN88001234567 {code}")
    assert "暂时锁定" in await merchant.reply_text()
    await asyncio.sleep(3.2)
    await merchant.send(f"/activate SN88001234567 {code}")
    await merchant.expect("激活成功")


@on_both_backends
async def test_revoke_and_reissue(server: BotApiServer, merchant: ChatUser) -> None:
    # An admin may revoke a code of an application they approved themselves.
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    old = await _shipped(merchant, admin)
    await admin.send(f"/revoke {old} 凭证丢失")
    assert "已作废" in await admin.reply_text()
    await merchant.expect("申请码已作废")
    new_voucher = await merchant.expect("申请码")
    new = CODE.search(new_voucher["caption"]).group(0)  # type: ignore[union-attr]
    assert new != old
    await merchant.send(f"/activate SN88001234567 {old}")
    assert "不正确或已作废" in await merchant.reply_text()
    await merchant.send(f"/activate SN88001234567 {new}")
    await merchant.expect("激活成功")


@on_both_backends
async def test_notifications_survive_a_restart_before_delivery(
    server: BotApiServer, run_bot: BotRunner, bot: Application, reviewer: ChatUser
) -> None:
    merchant = ChatUser(server, 10001, "小王")
    number = await submit(merchant)
    card = await card_of(reviewer, number)

    # The process "dies" between committing the approval and delivering its notifications:
    # this instance's sender never gets to run again.
    async def dead(*_: object) -> int:
        return 0

    bot.bot_data.outbox.run = dead  # type: ignore[method-assign]
    await approve_on_card(reviewer, card)
    await reviewer.edited()
    await merchant.silence(1.0)
    await stop_bot(bot)
    await run_bot()
    await merchant.expect("已通过审核", timeout=15)
    await merchant.expect("申请码")
    await merchant.expect("服务协议")
    await merchant.silence(2)
