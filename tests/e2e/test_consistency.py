"""One consistent voice: no "Ltd..", edit buttons that fit a phone with the full names in the
message, /status that never says "not finished (17/17)", and a timeline that keeps every
submission and return with its own time."""

from __future__ import annotations

import re

from sandbox.server import BotApiServer
from tests.e2e.application_steps import ENTERPRISE_EN, INDIVIDUAL_ZH, Answer, fill
from tests.e2e.conftest import REVIEW_CHAT
from tests.e2e.harness import ChatUser
from tests.e2e.test_review import REVIEWER_ID, card_of
from tests.e2e.test_review_integrity import reviewer, submit
from tests.postgres import on_both_backends

__all__ = ["reviewer"]  # the fixture, shared with test_review_integrity

# A phone shows about this many characters of a button two to a row (longer ones are cut).
FITS = 16


async def test_english_texts_have_no_double_full_stop_and_edit_buttons_fit(
    english_merchant: ChatUser,
) -> None:
    answers = list(ENTERPRISE_EN)
    answers[1] = Answer("text", "Acme Trading Co., Ltd.")
    answers[9] = Answer("text", "Acme Trading Co., Ltd.")  # the corporate account's holder
    last = await fill(english_merchant, answers[:9])  # up to the account kind
    assert "(Acme Trading Co., Ltd.)" in last["text"] and "Ltd.." not in last["text"]
    last = await fill(english_merchant, answers[9:], start=False)
    labels = [b for b in english_merchant.buttons(last) if b.startswith("✏️")]
    assert len(labels) == 17
    assert all(len(b) <= FITS and not b.endswith("…") for b in labels), labels
    assert "✏️ 3 Credit code" in labels and "✏️ 5 Legal rep" in labels
    assert "3. Unified social credit code:" in last["text"]
    assert "5. Legal representative:" in last["text"]

    # Everything filled in but not submitted: /status says exactly that.
    await english_merchant.send("/status")
    status = await english_merchant.reply_text()
    assert (
        "not submitted yet" in status
        and "17 of 17" not in status
        and "isn't finished" not in status
    )


async def test_chinese_status_of_a_complete_draft_says_submit(merchant: ChatUser) -> None:
    review = await fill(merchant, INDIVIDUAL_ZH)
    labels = [b for b in merchant.buttons(review) if b.startswith("✏️")]
    assert all(len(b) <= FITS for b in labels) and "✏️ 3 信用代码" in labels
    assert "3. 统一社会信用代码：" in review["text"]
    await merchant.send("/status")
    status = await merchant.reply_text()
    assert "还没有提交" in status and "17/17" not in status and "还没填完" not in status


@on_both_backends
async def test_timeline_keeps_each_submission_and_return_with_its_own_time(
    server: BotApiServer, merchant: ChatUser, reviewer: ChatUser
) -> None:
    number = await submit(merchant, INDIVIDUAL_ZH)
    await reviewer.press("退回", await card_of(reviewer, number))
    picker = await reviewer.expect("勾选")
    await reviewer.press("主营商品", picker)
    await reviewer.edited()
    await reviewer.press("下一步", picker)
    await reviewer.expect("主营商品")
    await reviewer.server.send_text(REVIEWER_ID, "请写具体一些", chat_id=REVIEW_CHAT)
    await reviewer.press("确认退回", await reviewer.expect("请确认"))
    await merchant.press("修改资料", await merchant.expect("需要修改"))
    await merchant.reply()
    await merchant.send("水果、坚果、瓶装饮料")
    await merchant.expect("请核对")
    await merchant.press("确认提交")
    await merchant.expect("已重新提交")

    await merchant.send("/status")
    status = await merchant.reply_text()
    steps = [line for line in status.splitlines() if line[:2] in ("✅ ", "↩️", "⏳ ", "▫️")]
    names = [re.sub(r"\s+\d{2}-\d{2} \d{2}:\d{2}$", "", s) for s in steps]
    assert names[:4] == ["✅ 已提交", "✅ 开始审核", "↩️ 退回修改", "✅ 重新提交"], steps
    assert all(re.search(r"\d{2}-\d{2} \d{2}:\d{2}$", s) for s in steps[:4])
    assert names[4] == "⏳ 开始审核"  # the next review is ahead again
