"""What a careful user reads: cards, confirmations and timelines that end in a clear state
and say only what is true (issue 17's walk through the sandbox)."""

from __future__ import annotations

import asyncio

from sandbox.server import BotApiServer
from tests.e2e.application_steps import ENTERPRISE_EN, fill, sign
from tests.e2e.conftest import REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, approve, card_of, reviewer, submit

__all__ = ["reviewer"]  # the fixture, used by name


async def latest_card(server: BotApiServer, number: str, fragment: str) -> str:
    """The text of the application's newest card once it contains `fragment`."""
    for _ in range(80):
        for message in reversed(server.messages(REVIEW_CHAT)):
            text = message.get("text") or ""
            if f"申请 {number}" in text and "商户类型" in text:
                if fragment in text:
                    return text
                break
        await asyncio.sleep(0.1)
    raise AssertionError(f"no card of {number} containing {fragment!r}")


async def test_a_flagged_answer_given_again_unchanged_is_called_out_a_decided_card_marks_nothing(
    merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant)
    await reviewer.press("退回", await card_of(reviewer, number))
    picker = await reviewer.expect("勾选")
    await reviewer.press("统一社会信用代码", picker)
    picker = await reviewer.edited()
    await reviewer.press("联系手机", picker)
    picker = await reviewer.edited()
    await reviewer.press("下一步", picker)
    prompt = await reviewer.expect("统一社会信用代码")
    assert "直接发送" in prompt["text"]  # a plain message works, and the prompt says so
    assert "商户使用" not in prompt["text"]  # a Chinese merchant: no language reminder
    await reviewer.server.send_text(REVIEWER_ID, "与执照不一致", chat_id=REVIEW_CHAT)
    prompt = await reviewer.expect("联系手机")
    await reviewer.server.send_text(
        REVIEWER_ID, "无法接通", chat_id=REVIEW_CHAT, reply_to_message_id=prompt["message_id"]
    )
    await reviewer.press("确认退回", await reviewer.expect("请确认"))

    rejected = await merchant.expect("需要修改")
    assert "点击“修改资料”" in rejected["text"]  # names the button exactly as it reads
    await merchant.press("修改资料", rejected)
    assert "需要修改的项目还剩 2 项" in await merchant.reply_text()
    await merchant.send("91350100M000100Y43")  # the same code as before
    assert "需要修改的项目还剩 1 项" in await merchant.reply_text()
    await merchant.send("13900139000")
    await merchant.expect("请核对")
    await merchant.press("确认提交")
    await merchant.expect("已重新提交")

    card = await latest_card(reviewer.server, number, "重新提交")
    assert "🆕 = 与上次提交不同\n" in card
    assert "🆕 联系手机" in card and "🆕 统一社会信用代码" not in card
    assert "统一社会信用代码：与执照不一致（⚠️ 已重新填写，但与上次相同）" in card
    assert "联系手机：无法接通\n" in card

    await approve(reviewer, merchant, number)
    confirm = [
        m["text"]
        for m in reviewer.server.messages(REVIEW_CHAT)
        if "确认通过申请" in m.get("text", "")
    ]
    # The confirmation ends in its final state, one blank line below the question.
    assert confirm and confirm[-1].endswith("待签署的服务协议。\n\n✅ 已通过 · 李审核")
    decided = await latest_card(reviewer.server, number, "审核通过")
    assert "🆕" not in decided


async def test_status_timeline_names_the_steps_done_and_those_ahead(
    merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant)
    await reviewer.press("领取", await card_of(reviewer, number))
    await merchant.expect("开始审核")
    await merchant.send("/status")
    status = await merchant.expect("申请进度")
    lines = status["text"].splitlines()
    assert "当前状态：审核中" in lines
    assert any(line.startswith("✅ 已提交　") for line in lines)
    assert any(line.startswith("✅ 开始审核　") for line in lines)
    assert "⏳ 审核通过" in lines and "▫️ 已激活" in lines
    assert not any("等待审核　" in line for line in lines)  # a state is not a step done


async def test_the_ticket_summary_ends_saying_which_ticket_it_became(
    english_merchant: ChatUser,
) -> None:
    merchant = english_merchant
    await merchant.send("/support")
    prompt = await merchant.reply()
    assert "brings you straight here" not in prompt["text"]
    await merchant.send("The screen shows E05 after a card is swiped")
    summary = await merchant.reply()
    await merchant.press("Create ticket", summary)
    ended = await merchant.edited()
    assert ended["text"].endswith("✅ Sent as ticket T-000001")
    assert not ended.get("reply_markup")

    # Closing from /tickets: the list itself shows the ticket closed, its button gone.
    await merchant.send("/tickets")
    listing = await merchant.expect("My tickets")
    await merchant.press("Close T-000001", listing)
    relisted = await merchant.edited()
    assert "T-000001 closed" in relisted["text"] and not relisted.get("reply_markup")
    await merchant.expect("closed")


async def test_reason_prompt_reminds_staff_of_an_english_merchants_language(
    english_merchant: ChatUser, reviewer: ChatUser
) -> None:
    await fill(english_merchant, ENTERPRISE_EN)
    await english_merchant.press("Submit")
    submitted = await english_merchant.expect("Application submitted")
    number = submitted["text"].split("Application number: ")[1].split()[0]
    await reviewer.press("退回", await card_of(reviewer, number))
    picker = await reviewer.expect("勾选")
    await reviewer.press("商户名称", picker)
    await reviewer.press("下一步", await reviewer.edited())
    prompt = await reviewer.expect("商户名称")
    assert "商户使用英文，请用英文写原因" in prompt["text"]


async def test_an_old_agreement_tapped_after_signing_ends_saying_it_is_signed(
    merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant)
    await approve(reviewer, merchant, number)
    agreement = await merchant.expect("服务协议")
    await sign(merchant, agreement)
    await merchant.expect("协议已签署，感谢")
    await merchant.press("我同意并签署", agreement)  # the first message, still on screen
    ended = await merchant.edited()
    assert ended["text"].endswith("✅ 协议已签署：发送 /agreement 可查看已签署的协议。")
    assert not ended.get("reply_markup")
