"""Four eyes: nobody decides on or ships an application they submitted themselves, a rejection
is finished only by the reviewer who started it, and every document shown to staff is audited.

Staff act in the review group and apply in their private chat, as on Telegram.
"""

from __future__ import annotations

import asyncio

from telegram.ext import Application

from bot.settings import Settings
from sandbox.server import BotApiServer
from tests.e2e.application_steps import sign
from tests.e2e.conftest import ADMIN_ID, REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, approve, card_of, reviewer, submit
from tests.postgres import on_both_backends, read_rows

__all__ = ["reviewer"]  # the fixture, imported for the tests below

SECOND_REVIEWER_ID = 20002


async def answer_to(server: BotApiServer, query: dict, timeout: float = 8.0) -> dict:
    """The bot's answer to one button press (the toast or alert the presser sees)."""
    for _ in range(int(timeout / 0.05)):
        for answer in server.callback_answers():
            if answer["callback_query_id"] == query["id"]:
                return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"the button press {query['data']!r} was never answered")


def stored(settings: Settings, sql: str) -> list[tuple]:
    return read_rows(settings, sql)


def audit(settings: Settings, action: str) -> list[tuple]:
    return stored(
        settings,
        "SELECT staff_id, chat_id, application_id, detail FROM staff_audit"
        f" WHERE action = '{action}' ORDER BY id",
    )


@on_both_backends
async def test_a_reviewer_cannot_take_approve_reject_or_ship_their_own_application(
    server: BotApiServer, bot: Application, reviewer: ChatUser, bot_settings: Settings
) -> None:
    applicant = reviewer.in_chat(REVIEWER_ID)  # the reviewer, in their private chat
    number = await submit(applicant)
    card = await card_of(reviewer, number)

    for button in ("领取", "通过", "退回"):
        answer = await answer_to(server, await reviewer.press(button, card))
        assert answer["show_alert"] and "您本人提交的申请" in answer["text"]
    await applicant.silence(1.0)  # not taken, not approved: the applicant hears nothing
    assert stored(bot_settings, "SELECT state, reviewer_id FROM applications") == [
        ("submitted", None)
    ]
    assert stored(bot_settings, "SELECT * FROM pending_rejections") == []
    (app_id,) = stored(bot_settings, "SELECT id FROM applications")[0]
    assert audit(bot_settings, "own_application_refused") == [
        (REVIEWER_ID, REVIEW_CHAT, app_id, action) for action in ("take", "approve", "reject")
    ]

    # Someone else approves; the applicant signs; shipping it is again not for them.
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await approve(admin, applicant, number)
    await sign(applicant, await applicant.expect("服务协议"))
    await applicant.expect("协议已签署")
    await reviewer.expect("可以发货")
    await reviewer.send(f"/ship {number} SN88001234567 顺丰 SF1")
    assert "您本人提交的申请" in await reviewer.reply_text()
    assert stored(bot_settings, "SELECT state FROM applications") == [("agreement_signed",)]
    assert audit(bot_settings, "own_application_refused")[-1] == (
        REVIEWER_ID,
        REVIEW_CHAT,
        app_id,
        "ship",
    )
    await admin.send(f"/ship {number} SN88001234567 顺丰 SF1")
    assert "已寄出" in await admin.reply_text()
    await applicant.expect("POS 机已寄出")


@on_both_backends
async def test_an_admin_who_applied_is_refused_too_in_their_own_language(
    server: BotApiServer, bot: Application, bot_settings: Settings
) -> None:
    applicant = ChatUser(server, ADMIN_ID, "Admin")
    number = await submit(applicant)
    server.add_user(ADMIN_ID, "Admin", language_code="en")  # the admin's app is in English now
    admin = applicant.in_chat(REVIEW_CHAT)
    card = await card_of(admin, number)
    answer = await answer_to(server, await admin.press("通过", card))
    assert "You submitted this application yourself" in answer["text"]
    assert stored(bot_settings, "SELECT state FROM applications") == [("submitted",)]
    assert len(audit(bot_settings, "own_application_refused")) == 1


@on_both_backends
async def test_only_the_reviewer_who_started_a_rejection_can_give_its_reasons(
    server: BotApiServer,
    bot: Application,
    merchant: ChatUser,
    reviewer: ChatUser,
    bot_settings: Settings,
) -> None:
    admin = ChatUser(server, ADMIN_ID, "管理员").in_chat(REVIEW_CHAT)
    await admin.send(f"/staff add {SECOND_REVIEWER_ID} reviewer")
    assert "审核员" in await admin.reply_text()
    other = ChatUser(server, SECOND_REVIEWER_ID, "赵审核").in_chat(REVIEW_CHAT)
    number = await submit(merchant)
    card = await card_of(reviewer, number)
    await reviewer.press("退回", card)
    picker = await reviewer.expect("勾选")

    # The picker's buttons are the starter's alone.
    answer = await answer_to(server, await other.press("商户名称", picker))
    assert answer["show_alert"] and "另一位审核员发起" in answer["text"]
    await reviewer.press("商户名称", picker)
    picker = await reviewer.edited()
    await reviewer.press("下一步", picker)
    prompt = await reviewer.expect("商户名称")

    # Another reviewer's reply to the prompt is refused and changes nothing.
    other._cursor = server.last_seq()
    await server.send_text(
        SECOND_REVIEWER_ID,
        "乱写的原因",
        chat_id=REVIEW_CHAT,
        reply_to_message_id=prompt["message_id"],
    )
    refusal = await other.reply()
    assert "另一位审核员发起" in refusal["text"] and "没有被记录" in refusal["text"]
    assert stored(bot_settings, "SELECT reviewer_id, reasons FROM pending_rejections") == [
        (REVIEWER_ID, "{}")
    ]

    # The starter's reply is taken; the confirm and cancel buttons are theirs alone too.
    await server.send_text(
        REVIEWER_ID,
        "与营业执照不一致",
        chat_id=REVIEW_CHAT,
        reply_to_message_id=prompt["message_id"],
    )
    summary = await reviewer.expect("请确认")
    assert "乱写的原因" not in summary["text"]
    for button in ("确认退回", "取消退回"):
        answer = await answer_to(server, await other.press(button, summary))
        assert "另一位审核员发起" in answer["text"]
    assert stored(bot_settings, "SELECT state FROM applications") == [("submitted",)]
    assert stored(bot_settings, "SELECT COUNT(*) FROM pending_rejections") == [(1,)]
    assert [row[0] for row in audit(bot_settings, "rejection_not_yours_refused")] == [
        SECOND_REVIEWER_ID
    ] * 4

    await reviewer.press("确认退回", summary)
    rejected = await merchant.expect("需要修改")
    assert "与营业执照不一致" in rejected["text"] and "乱写" not in rejected["text"]


@on_both_backends
async def test_every_document_shown_to_staff_is_in_the_audit_log(
    merchant: ChatUser, reviewer: ChatUser, bot_settings: Settings
) -> None:
    number = await submit(merchant)
    await card_of(reviewer, number)
    (app_id,) = stored(bot_settings, "SELECT id FROM applications")[0]
    shown = stored(
        bot_settings,
        "SELECT chat_id, application_id, detail, at FROM staff_audit"
        " WHERE action = 'document_shown' ORDER BY id",
    )
    # Licence, ID front and ID back were posted to the review group (the storefront skipped).
    assert [row[:3] for row in shown] == [
        (REVIEW_CHAT, app_id, slot) for slot in ("licence", "id_front", "id_back")
    ]
    assert all(row[3] for row in shown)
