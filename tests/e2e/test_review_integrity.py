"""Review integrity: duplicate identifiers on the card, what changed since the last
submission (consequences included), Approve that asks first, confirmations that end in a final
state, a reason typed without replying, and reasons in the merchant's language."""

from __future__ import annotations

import asyncio
import re

import pytest
from telegram.ext import Application

from bot.keys import keys_for
from bot.settings import Settings
from sandbox.server import BotApiServer
from storage import Storage
from tests.e2e.application_steps import ENTERPRISE_EN, INDIVIDUAL_ZH, approve_on_card, fill
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT
from tests.e2e.files import png
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, card_of
from tests.postgres import on_both_backends, read_rows


@pytest.fixture
async def reviewer(server: BotApiServer, bot: Application) -> ChatUser:
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {REVIEWER_ID} reviewer")
    await admin.reply()
    return ChatUser(server, REVIEWER_ID, "李审核").in_chat(REVIEW_CHAT)


async def submit(merchant: ChatUser, answers, button: str = "确认提交") -> str:
    await fill(merchant, answers)
    await merchant.press(button)
    message = await merchant.reply()
    return re.search(r"AP\d{8}-\d{4}", message["text"]).group(0)  # type: ignore[union-attr]


def now(server: BotApiServer, message: dict) -> dict:
    chat = message["chat"]["id"]
    return next(m for m in server.messages(chat) if m["message_id"] == message["message_id"])


async def settled(server: BotApiServer, message: dict) -> dict:
    """The message once it was edited into its final state (its buttons gone)."""
    for _ in range(80):
        current = now(server, message)
        if not current.get("reply_markup"):
            return current
        await asyncio.sleep(0.1)
    raise AssertionError("the confirmation kept its buttons")


async def new_card(reviewer: ChatUser, number: str, marker: str) -> dict:
    for _ in range(80):
        card = await card_of(reviewer, number)
        if marker in card["text"]:
            return card
        await asyncio.sleep(0.1)
    raise AssertionError(f"no card of {number} with {marker!r}")


@on_both_backends
async def test_card_warns_of_identifiers_shared_with_another_application(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    first = await submit(merchant, INDIVIDUAL_ZH)
    await approve_on_card(reviewer, await card_of(reviewer, first))
    await merchant.expect("服务协议")
    merchant_no = read_rows(bot_settings, "SELECT merchant_no FROM applications")[0][0]

    # Someone else applies with the same credit code and ID number under another name.
    other = ChatUser(server, 10005, "老李")
    answers = list(INDIVIDUAL_ZH)
    answers[4] = type(answers[4])("text", "李大明")  # legal representative
    answers[9] = type(answers[9])("text", "李大明")  # account holder
    answers[11] = type(answers[11])("text", "6222 0212 3456 7890 128")
    answers[12] = type(answers[12])("text", "13700137000")
    second = await submit(other, answers)
    body = (await card_of(reviewer, second))["text"]
    assert "⚠️ 与其他申请重复" in body
    assert f"统一社会信用代码与申请 {first}（审核通过，商户号 {merchant_no}）相同" in body
    assert f"身份证号码与申请 {first}" in body
    assert "开户" not in body.split("⚠️")[1].split("\n\n")[0]  # the account differs
    assert "联系手机 与申请" not in body
    assert "11010519491231002X" not in body  # compared by blind index, never shown


async def earlier_applications(settings: Settings, credit_code: str, count: int) -> list[str]:
    """`count` submitted applications by other merchants with this credit code, oldest first."""
    storage = Storage(settings.database, keys_for(settings))
    await storage.open()
    numbers = []
    try:
        for i in range(count):
            async with storage.transaction() as repos:
                await repos.users.upsert_seen(
                    20001 + i, first_name=f"商户{i}", username=None, language_code="zh-hans"
                )
                draft = await repos.applications.create_draft(20001 + i)
                await repos.applications.save_answer(
                    draft, "credit_code", credit_code, sensitive=False
                )
                numbers.append(
                    await repos.applications.submit(draft, actor=20001 + i, day="20260101")
                )
    finally:
        await storage.close()
    return numbers


@on_both_backends
async def test_card_names_the_three_latest_of_many_sharing_an_identifier_and_counts_the_rest(
    merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    earlier = await earlier_applications(bot_settings, "91350100M000100Y43", 8)

    number = await submit(merchant, INDIVIDUAL_ZH)
    body = (await card_of(reviewer, number))["text"]
    shared = body.split("⚠️ 与其他申请重复")[1].split("\n\n")[0]
    named = re.findall(r"AP20260101-\d{4}", shared)
    assert named == earlier[::-1][:3]  # the latest first
    assert "另有 5 个申请的统一社会信用代码相同" in shared


@on_both_backends
async def test_approve_asks_first_and_the_confirmation_ends_in_a_final_state(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    number = await submit(merchant, INDIVIDUAL_ZH)
    card = await card_of(reviewer, number)
    # Each of the card's header facts stands on its own line.
    lines = card["text"].splitlines()
    assert "费率：由客服确认" in lines and "商户语言：中文" in lines
    await reviewer.press("通过", card)
    confirm = await reviewer.expect("确认通过申请")
    assert reviewer.buttons(confirm) == ["✅ 确认通过", "取消"]
    assert read_rows(bot_settings, "SELECT state FROM applications") == [("submitted",)]
    await reviewer.press("取消", confirm)
    cancelled = await reviewer.edited()
    assert cancelled["text"].endswith("已取消：申请仍待审核。") and not reviewer.buttons(cancelled)
    assert read_rows(bot_settings, "SELECT state FROM applications") == [("submitted",)]

    confirm = await approve_on_card(reviewer, card)
    await merchant.expect("已通过审核")
    final = await settled(server, confirm)
    assert final["text"].endswith("已通过 · 李审核") and not reviewer.buttons(final)


async def test_reason_typed_without_reply_is_taken_and_an_english_merchant_reads_english(
    server: BotApiServer, english_merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(english_merchant, ENTERPRISE_EN, "Submit")
    card = await card_of(reviewer, number)
    assert "商户语言：英文" in card["text"].splitlines()
    await reviewer.press("退回", card)
    picker = await reviewer.expect("勾选")
    await reviewer.press("联系手机", picker)
    await reviewer.edited()
    await reviewer.press("下一步", picker)
    await reviewer.expect("联系手机")
    await reviewer.send("号码打不通")  # typed into the group, not as a reply
    summary = await reviewer.expect("请确认")
    assert "号码打不通" in summary["text"]
    await reviewer.press("确认退回", summary)
    final = await reviewer.edited()
    assert final["text"].endswith("已退回 · 李审核：修改要求已发给商户。")

    rejected = await english_merchant.expect("needs a few changes")
    assert "Mobile" in rejected["text"] or "phone" in rejected["text"].lower()
    assert "联系手机" not in rejected["text"] and "号码打不通" in rejected["text"]
    assert english_merchant.buttons(rejected) == ["✏️ Fix"]


@on_both_backends
async def test_resubmission_marks_fields_changed_including_those_asked_again(
    merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant, INDIVIDUAL_ZH)
    card = await card_of(reviewer, number)
    await reviewer.press("退回", card)
    picker = await reviewer.expect("勾选")
    await reviewer.press("法定代表人", picker)
    await reviewer.edited()
    await reviewer.press("下一步", picker)
    prompt = await reviewer.expect("法定代表人")
    await reviewer.server.send_text(
        REVIEWER_ID, "与身份证不一致", chat_id=REVIEW_CHAT, reply_to_message_id=prompt["message_id"]
    )
    await reviewer.press("确认退回", await reviewer.expect("请确认"))

    await merchant.press("修改资料", await merchant.expect("需要修改"))
    await merchant.reply()
    await merchant.send("王小红")
    asked = await merchant.reply_text()
    assert "开户名" in asked  # the personal card's holder must be the legal representative
    await merchant.send("王小红")
    await merchant.expect("请核对")
    await merchant.press("确认提交")
    await merchant.expect("已重新提交")

    body = (await new_card(reviewer, number, "重新提交"))["text"]
    assert "🆕 法定代表人" in body and "🆕 开户名" in body
    assert "🆕 身份证号码" not in body and "🆕 商户名称" not in body


def photos(server: BotApiServer) -> list[dict]:
    return [m for m in server.messages(REVIEW_CHAT) if m.get("photo")]


@on_both_backends
async def test_one_album_per_submission_and_only_changed_documents_again(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant, INDIVIDUAL_ZH)
    card = await card_of(reviewer, number)
    album = photos(server)
    assert len(album) == 3 and len({m.get("media_group_id") for m in album}) == 1
    assert album[0]["caption"] == f"📎 申请 {number}：营业执照、身份证人像面、身份证国徽面"

    await reviewer.press("退回", card)
    picker = await reviewer.expect("勾选")
    await reviewer.press("身份证人像面", picker)
    await reviewer.edited()
    await reviewer.press("下一步", picker)
    await reviewer.expect("身份证人像面")
    await reviewer.send("照片太模糊")
    await reviewer.press("确认退回", await reviewer.expect("请确认"))
    await merchant.press("修改资料", await merchant.expect("需要修改"))
    await merchant.reply()
    await merchant.send_photo(png(21))
    await merchant.expect("请核对")
    await merchant.press("确认提交")
    await merchant.expect("已重新提交")

    body = (await new_card(reviewer, number, "重新提交"))["text"]
    again = photos(server)[3:]
    assert len(again) == 1  # only the new ID photo
    assert again[0]["caption"] == f"📎 申请 {number} · 重新上传：身份证人像面"
    assert again[0]["reply_to_message"]["message_id"] == album[0]["message_id"]
    assert "🆕 身份证人像面" in body and "🆕 营业执照" not in body
    assert "未改动的证件（营业执照、身份证国徽面）见之前的相册" in body
