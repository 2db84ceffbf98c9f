"""The application form as a merchant lives it, through the local Bot API server."""

from __future__ import annotations

import sqlite3

import pytest

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import (
    ENTERPRISE_EN,
    INDIVIDUAL_ZH,
    agree,
    fill,
    give,
    start_application,
)
from tests.e2e.conftest import BotRunner
from tests.e2e.files import exe, png
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends


def step_of(message: dict) -> str:
    return message["text"].split("\n", 1)[0]


@on_both_backends
async def test_individual_business_completes_application_in_chinese(
    merchant: ChatUser, bot_settings: Settings
) -> None:
    review = await fill(merchant, INDIVIDUAL_ZH)
    body = review["text"]
    assert "请核对" in body
    assert "杭州西湖小王便利店" in body and "91350100M000100Y43" in body
    assert "110105********002X" in body and "11010519491231002X" not in body
    assert "4111 **** **** 1111" in body and "4111111111111111" not in body
    assert "138****8000" in body
    assert "未提供" in body  # the skipped storefront photo
    await merchant.press("确认提交")
    done = await merchant.expect("申请已提交")
    assert "AP" in done["text"] and "/status" in done["text"]

    await merchant.send("/status")
    status = await merchant.reply_text()
    assert "已提交" in status and "杭州西湖小王便利店" in status


@on_both_backends
async def test_enterprise_completes_application_in_english(english_merchant: ChatUser) -> None:
    user = english_merchant
    await user.send("/apply")
    intro = await user.reply_text()
    assert "17 steps" in intro
    notice = await user.reply()
    assert "sensitive personal information" in notice["text"]
    first = await agree(user, notice)
    assert "Individual business" in " ".join(user.buttons(first))
    answers = list(ENTERPRISE_EN)
    for answer in answers[:8]:
        await give(user, answer)
        await user.reply()
    # an enterprise is only offered a corporate account
    await user.send("/status")
    await user.reply()
    await user.send("/apply")
    await user.reply()
    await user.press("Continue")
    account_question = await user.reply()
    assert user.buttons(account_question) == ["Corporate account"]
    review = await fill(user, answers[8:], start=False)
    assert "Please check your application" in review["text"]
    await user.press("Submit")
    submitted = await user.expect("Application submitted")
    assert "AP" in submitted["text"]


@pytest.mark.parametrize(
    ("step", "bad", "complaint"),
    [
        (2, "91350100M000100Y44", "校验码"),
        (2, "9135010", "应为 18 位"),
        (2, "91350100M0001O0Y43", "无效字符"),
        (5, "110105194912310021", "校验码"),
        (5, "110105202012310021", "年满 18 周岁"),  # born 2020: a minor
        (5, "440524188001010014", "出生年份"),  # born 1880: the check character fits by chance
        (5, "110105194913310029", "出生日期"),
        (11, "4111111111111112", "校验不通过"),
        (11, "41111111", "16–19 位"),
        (12, "010-12345678", "固定电话"),
        (12, "+1 650 253 0000", "+1"),
        (9, "李四", "法定代表人姓名一致"),
        (1, "😀😀", "不能使用的字符"),
    ],
)
@on_both_backends
async def test_invalid_answer_is_explained_and_asked_again(
    merchant: ChatUser, step: int, bad: str, complaint: str
) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:step])
    await merchant.send(bad)
    reply = await merchant.reply_text()
    assert complaint in reply, reply
    assert f"第 {step + 1}/17 步" in reply  # the same question again
    # the right answer is then accepted and the form moves on
    await give(merchant, INDIVIDUAL_ZH[step])
    assert f"第 {step + 2}/17 步" in await merchant.reply_text()


@on_both_backends
async def test_wrong_file_type_at_document_step_is_refused(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:3])
    await merchant.send_document(exe(), "licence.jpg", "image/jpeg")
    reply = await merchant.reply_text()
    assert "只支持 JPG、PNG 照片或 PDF 文件" in reply and "第 4/17 步" in reply
    await merchant.send_raw(
        {
            "sticker": {
                "file_id": "x",
                "file_unique_id": "x",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        }
    )
    reply = await merchant.reply_text()
    assert "照片或文件" in reply and "第 4/17 步" in reply
    await merchant.send("这是营业执照")
    assert "第 4/17 步" in await merchant.reply_text()
    await merchant.send_photo(png(1))
    assert "第 5/17 步" in await merchant.reply_text()


@on_both_backends
async def test_oversized_file_is_refused(
    run_bot: BotRunner, server: BotApiServer, bot_settings: Settings
) -> None:
    await run_bot(bot_settings.model_copy(update={"max_document_mb": 0.001}))
    user = ChatUser(server, 10020, "小周")
    await fill(user, INDIVIDUAL_ZH[:3])
    await user.send_document(png(1) + bytes(4096), "licence.png", "image/png")
    reply = await user.reply_text()
    assert "文件太大了" in reply and "第 4/17 步" in reply


@on_both_backends
async def test_same_file_cannot_fill_two_slots(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:6])
    await merchant.send_photo(png(1))  # the licence photo again, as the ID front
    reply = await merchant.reply_text()
    assert "营业执照" in reply and "已经" in reply and "第 7/17 步" in reply


@on_both_backends
async def test_text_where_a_button_is_expected_gets_help(merchant: ChatUser) -> None:
    await start_application(merchant)
    await merchant.send("个体")
    reply = await merchant.reply()
    assert "点击下面的按钮" in reply["text"]
    assert "个体工商户" in " ".join(merchant.buttons(reply))


@on_both_backends
async def test_command_in_the_middle_keeps_the_draft(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:4])
    await merchant.send("/help")
    await merchant.reply()
    await merchant.send("王小明")
    assert "第 6/17 步" in await merchant.reply_text()


@on_both_backends
async def test_restart_in_the_middle_continues_where_the_merchant_was(
    server: BotApiServer, run_bot: BotRunner
) -> None:
    from bot.runner import stop_bot

    app = await run_bot()
    user = ChatUser(server, 10030, "小陈")
    await fill(user, INDIVIDUAL_ZH[:10])
    await stop_bot(app)
    await run_bot()
    await give(user, INDIVIDUAL_ZH[10])  # the bank name, answered to the new process
    assert "第 12/17 步" in await user.reply_text()
    review = await fill(user, INDIVIDUAL_ZH[11:], start=False)
    assert "杭州西湖小王便利店" in review["text"] and "110105********002X" in review["text"]


@on_both_backends
async def test_edit_from_review_reasks_only_that_field(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.press("✏️ 14 地址")
    question = await merchant.reply_text()
    assert "店铺地址" in question and "回到确认页" in question
    await merchant.send("浙江省杭州市滨江区江南大道 500 号")
    review = await merchant.reply_text()
    assert "请核对" in review and "江南大道 500 号" in review and "文三路" not in review


@on_both_backends
async def test_switching_to_enterprise_reasks_the_settlement_account(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.press("✏️ 1 商户类型")
    await merchant.reply()
    await merchant.press("企业")
    question = await merchant.reply()
    assert "结算账户类型" in question["text"]
    assert merchant.buttons(question) == ["对公账户"]


async def test_an_answered_button_question_shows_the_choice_without_buttons(
    merchant: ChatUser,
) -> None:
    question = await start_application(merchant)
    assert "个体工商户" in merchant.buttons(question)
    await merchant.press("个体工商户", question)
    # Sent together: the edit and the next question may come in either order.
    events = {e["kind"]: e["message"] for e in [await merchant.event(), await merchant.event()]}
    settled = events["edit"]
    assert settled["message_id"] == question["message_id"]
    assert settled["text"].startswith(question["text"].split("\n", 1)[0])
    assert settled["text"].endswith("✓ 个体工商户") and not settled.get("reply_markup")
    assert "商户名称" in events["message"]["text"]


@on_both_backends
async def test_cancel_asks_then_discards_the_draft(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:5])
    await merchant.send("/cancel")
    assert "确定要放弃" in await merchant.reply_text()
    await merchant.press("不，继续填写")
    assert "第 6/17 步" in await merchant.reply_text()
    await merchant.send("/cancel")
    await merchant.reply()
    await merchant.press("是的，放弃申请")
    assert "已放弃申请" in await merchant.reply_text()
    await merchant.send("/apply")
    assert "一共 17 步" in await merchant.reply_text()
    assert "第 1/17 步" in await merchant.reply_text()


@on_both_backends
async def test_apply_with_a_draft_offers_resume_or_start_over(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:3])
    await merchant.send("/apply")
    prompt = await merchant.reply()
    assert "3/17" in prompt["text"]
    await merchant.press("重新开始")
    await merchant.reply()  # intro
    assert "第 1/17 步" in await merchant.reply_text()


@on_both_backends
async def test_stale_button_is_refused_and_the_draft_untouched(
    server: BotApiServer, merchant: ChatUser
) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    review = merchant.server.messages(merchant.chat_id)[-1]
    await merchant.press("✏️ 17 主营商品")
    await merchant.reply()
    # Submit on the old review page while an edit is under way: refused, the edit goes on.
    await merchant.press("确认提交", review)
    reply = await merchant.reply_text()
    assert "主营商品" in reply and "第 17/17 步" in reply
    assert any("过期" in (a.get("text") or "") for a in server.callback_answers())
    await merchant.send("茶叶、茶具")
    assert "茶叶、茶具" in await merchant.reply_text()


@on_both_backends
async def test_button_of_a_discarded_draft_is_stale(
    server: BotApiServer, merchant: ChatUser
) -> None:
    await fill(merchant, INDIVIDUAL_ZH[:2])
    await merchant.send("/apply")
    resume_prompt = await merchant.reply()
    await merchant.send("/cancel")
    await merchant.reply()
    await merchant.press("是的，放弃申请")
    await merchant.reply()
    await merchant.press("继续填写", resume_prompt)
    edited = await merchant.edited()  # the dead buttons are taken away
    assert edited["message_id"] == resume_prompt["message_id"] and not edited.get("reply_markup")
    await merchant.silence(0.5)
    assert any("过期" in (a.get("text") or "") for a in server.callback_answers())


@on_both_backends
async def test_submitted_merchant_gets_status_instead_of_a_new_form(merchant: ChatUser) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    await merchant.press("确认提交")
    await merchant.expect("申请已提交")
    await merchant.send("/apply")
    assert "申请进度" in await merchant.reply_text()


async def test_personal_data_is_encrypted_at_rest(
    merchant: ChatUser, bot_settings: Settings
) -> None:
    await fill(merchant, INDIVIDUAL_ZH)
    raw = b""
    for path in bot_settings.database_path.parent.glob(bot_settings.database_path.name + "*"):
        raw += path.read_bytes()
    assert b"11010519491231002X" not in raw
    assert b"4111111111111111" not in raw
    assert b"13800138000" not in raw
    with sqlite3.connect(bot_settings.database_path) as db:
        names = {r[0] for r in db.execute("SELECT field FROM application_answers")}
    assert {"legal_rep_id", "account_number", "phone"} <= names
    docs = list((bot_settings.data_dir / "documents").rglob("*"))
    stored = b"".join(p.read_bytes() for p in docs if p.is_file())
    assert stored and png(1) not in stored
