"""A greeting or a thank-you gets a friendly answer, not "I can't answer that"."""

from __future__ import annotations

from tests.e2e.harness import ChatUser

NOT_ANSWERED = ("答不上来", "回答不了", "can't answer", "cannot answer")


async def test_a_chinese_hello_is_greeted_back_with_the_menu(merchant: ChatUser) -> None:
    for text in ("你好", "在吗？"):
        await merchant.send(text)
        reply = await merchant.reply()
        assert "您好" in reply["text"], reply["text"]
        assert not any(n in reply["text"] for n in NOT_ANSWERED)
        assert "申请" in " ".join(merchant.buttons(reply))  # the main menu comes with it


async def test_thanks_in_english_is_answered_in_english(english_merchant: ChatUser) -> None:
    await english_merchant.send("Thank you!")
    reply = await english_merchant.reply()
    assert "welcome" in reply["text"]
    assert english_merchant.buttons(reply)


async def test_a_greeting_with_a_question_still_gets_the_answer(merchant: ChatUser) -> None:
    await merchant.send("你好，申请码丢了怎么办")
    reply = await merchant.reply()
    assert "申请码" in reply["text"]
    assert "我是 POS 商户助手" not in reply["text"]
