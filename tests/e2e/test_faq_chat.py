"""The FAQ as a merchant meets it: /faq browsing, typed questions, honest "I don't know", votes."""

from __future__ import annotations

import pytest
from babel.dates import format_date
from telegram.ext import Application

from bot.data import BotData
from bot.demo import fill_demo_data
from bot.faq_personal import upcoming_payouts
from bot.money import format_fen
from bot.settings import Settings
from faq.knowledge import load_knowledge_base
from sandbox.server import BotApiServer
from tests.e2e.application_steps import start_application
from tests.e2e.harness import ChatUser
from tests.postgres import on_both_backends, read_rows

CATEGORIES_ZH = ["申请办理", "使用指南", "注意事项", "常见问题"]
CATEGORIES_EN = ["Applying", "Using the POS", "Good practice", "Common questions"]
KB = load_knowledge_base()


def votes(settings: Settings) -> list[tuple]:
    return read_rows(
        settings, "SELECT question, entry_id, vote FROM faq_questions WHERE vote IS NOT NULL"
    )


async def test_faq_browses_from_categories_to_an_answer_in_chinese(merchant: ChatUser) -> None:
    await merchant.send("/faq")
    menu = await merchant.reply()
    assert merchant.buttons(menu) == CATEGORIES_ZH

    await merchant.press("申请办理")
    listing = await merchant.edited()
    assert "申请办理" in listing["text"]
    titles = merchant.buttons(listing)
    assert "申请需要准备的资料" in titles and "⬅️ 全部分类" in titles
    assert "开机与登录" not in titles  # a 使用指南 entry

    await merchant.press("申请需要准备的资料")
    answer = await merchant.reply()
    assert "营业执照" in answer["text"] and "法人身份证" in answer["text"]
    assert "这个回答解决您的问题了吗" in answer["text"]
    buttons = merchant.buttons(answer)
    assert buttons[:2] == ["👍 解决了", "👎 没解决"]
    assert "📝 申请POS机" in buttons  # the entry's action
    assert "办理POS机的完整流程" in buttons  # a related entry

    await merchant.press("全部分类")
    assert merchant.buttons(await merchant.edited()) == CATEGORIES_ZH


async def test_faq_browses_to_an_answer_in_english(english_merchant: ChatUser) -> None:
    user = english_merchant
    await user.send("/faq")
    assert user.buttons(await user.reply()) == CATEGORIES_EN
    await user.press("Using the POS")
    listing = await user.edited()
    assert "Switching on and logging in" in user.buttons(listing)
    await user.press("Switching on and logging in")
    answer = await user.reply()
    assert "power button" in answer["text"] and "Did this answer your question?" in answer["text"]
    assert user.buttons(answer)[:2] == ["👍 Solved", "👎 Not solved"]


async def test_menu_faq_button_opens_the_categories(merchant: ChatUser) -> None:
    await merchant.send("/start")
    await merchant.reply()
    await merchant.press("❓ 常见问题")
    assert merchant.buttons(await merchant.reply()) == CATEGORIES_ZH


@pytest.mark.parametrize(
    ("question", "title", "fragment"),
    [
        ("申请要带执照吗", "申请需要准备的资料", "营业执照"),  # 执照 = 营业执照
        ("机器怎么开机", "开机与登录", "操作员号"),  # 机器 = POS机
        ("怎么查流水", "查询交易明细", "商家服务平台"),  # 流水 = 交易明细
    ],
)
async def test_chinese_question_in_merchants_words_gets_the_right_answer(
    merchant: ChatUser, question: str, title: str, fragment: str
) -> None:
    await merchant.send(question)
    answer = await merchant.reply()
    assert answer["text"].startswith(title)
    assert fragment in answer["text"]
    assert merchant.buttons(answer)[:2] == ["👍 解决了", "👎 没解决"]


async def test_an_answer_offers_one_way_to_a_person(merchant: ChatUser) -> None:
    # The fee answer's action is support; its related "talking to a person" entry would be a
    # second button to the same place.
    await merchant.send("手续费怎么收")
    answer = await merchant.reply()
    buttons = merchant.buttons(answer)
    assert answer["text"].startswith("费用与费率")
    assert [b for b in buttons if "客服" in b] == ["💬 联系客服"], buttons
    assert "签订服务协议" in buttons  # the other related entry is still offered


async def test_english_question_gets_an_english_answer(english_merchant: ChatUser) -> None:
    await english_merchant.send("How do I activate my POS?")
    answer = await english_merchant.reply()
    assert answer["text"].startswith("Activating the terminal")
    assert "application code" in answer["text"] and "/code" in answer["text"]
    assert "👍 Solved" in english_merchant.buttons(answer)


async def test_question_is_answered_in_the_language_it_was_asked_in(merchant: ChatUser) -> None:
    # 小王's Telegram is in Chinese, but he asks in English.
    await merchant.send("what documents do I need")
    answer = await merchant.reply()
    assert answer["text"].startswith("Documents you need to apply")
    assert merchant.buttons(answer)[:2] == ["👍 Solved", "👎 Not solved"]


@pytest.mark.parametrize(
    ("language_code", "question", "dont_know", "support"),
    [
        ("zh-hans", "天气怎么样", "答不上来", "💬 联系人工客服"),
        ("en", "tell me a joke", "don't know", "💬 Contact support"),
        ("en", "what's the stock price of Alibaba", "don't know", "💬 Contact support"),
    ],
)
async def test_off_topic_question_gets_i_dont_know_with_three_topics_and_support(
    server: BotApiServer,
    bot: object,
    language_code: str,
    question: str,
    dont_know: str,
    support: str,
) -> None:
    user = ChatUser(server, 10010, "Sam", language_code=language_code)
    await user.send(question)
    message = await user.reply()
    assert dont_know in message["text"]
    buttons = user.buttons(message)
    assert len(buttons) == 4 and buttons[-1] == support
    titles = {e.title_for("zh-CN" if language_code == "zh-hans" else "en") for e in KB.entries}
    assert set(buttons[:3]) <= titles
    assert not any("👍" in b for b in buttons)  # nothing is presented as the answer


async def test_pressing_a_candidate_shows_its_answer(english_merchant: ChatUser) -> None:
    user = english_merchant
    await user.send("what's the stock price of Alibaba")
    offered = await user.reply()
    first = user.buttons(offered)[0]
    await user.press(first, offered)
    answer = await user.reply()
    assert answer["text"].startswith(first)
    assert "Did this answer your question?" in answer["text"]


async def test_contact_support_after_i_dont_know_explains_how_to_reach_a_person(
    english_merchant: ChatUser,
) -> None:
    user = english_merchant
    await user.send("tell me a joke")
    await user.reply()
    await user.press("Contact support")
    text = (await user.reply())["text"]
    assert "/support" in text and "a person will reply" in text


@on_both_backends
async def test_thumbs_down_is_recorded_with_the_question_and_offers_support(
    server: BotApiServer, merchant: ChatUser, bot_settings: Settings
) -> None:
    await merchant.send("机器怎么开机")
    await merchant.reply()
    await merchant.press("👎")
    events = [await merchant.event(), await merchant.event()]
    assert server.callback_answers()[-1]["text"] == "已记录，我们会改进这个回答。"
    edited = next(e["message"] for e in events if e["kind"] == "edit")
    offer = next(e["message"] for e in events if e["kind"] == "message")
    # the answer stays; the vote buttons go
    assert "开机与登录" in edited["text"] and "这个回答解决" not in edited["text"]
    assert not any("👍" in b or "👎" in b for b in merchant.buttons(edited))
    assert "抱歉没能帮到您" in offer["text"]
    assert merchant.buttons(offer) == ["💬 联系人工客服"]
    assert votes(bot_settings) == [("机器怎么开机", "usage.power_on", -1)]


@on_both_backends
async def test_thumbs_up_is_recorded_and_thanked(
    server: BotApiServer, english_merchant: ChatUser, bot_settings: Settings
) -> None:
    user = english_merchant
    await user.send("/faq")
    await user.reply()
    await user.press("Common questions")
    await user.edited()
    await user.press("Changing the language")
    await user.reply()
    await user.press("👍")
    edited = await user.edited()
    assert "/language" in edited["text"] and "Did this answer" not in edited["text"]
    assert not any("👍" in b for b in user.buttons(edited))
    assert server.callback_answers()[-1]["text"] == "Thanks for your feedback!"
    await user.silence()
    assert votes(bot_settings) == [(None, "settings.language", 1)]


async def test_greeting_invites_a_question_instead_of_guessing(merchant: ChatUser) -> None:
    await merchant.send("你好")
    message = await merchant.reply()
    assert "有什么可以帮您" in message["text"]
    assert "📝 申请POS机" in merchant.buttons(message)  # the main menu


@on_both_backends
async def test_text_during_the_application_is_a_form_answer_not_a_question(
    merchant: ChatUser,
) -> None:
    await start_application(merchant)  # the introduction, the privacy notice, step 1
    await merchant.press("个体工商户")
    await merchant.reply()  # step 2
    await merchant.send("杭州西湖小王便利店")
    await merchant.reply()  # step 3: the credit code
    await merchant.send("营业执照要准备什么")
    reply = await merchant.reply()
    assert "第 3/17 步" in reply["text"] and "统一社会信用代码" in reply["text"]
    assert "申请需要准备的资料" not in reply["text"]
    assert not any("👍" in b for b in merchant.buttons(reply))


def test_every_faq_button_fits_telegrams_callback_data_limit() -> None:
    longest_record_id = str(2**63 - 1)
    for entry in KB.entries:
        assert len(f"fq:e:{entry.id}:{longest_record_id}".encode()) <= 64, entry.id


# --- issue 16: the usage guide in depth, asked the way merchants ask, and personal answers


async def test_a_conversational_refund_question_gets_the_refund_procedure(
    merchant: ChatUser,
) -> None:
    await merchant.send(
        "我这边是卖水果的，前天有位客人用银行卡付的钱，今天说要退，这种怎么给他退回去？"
    )
    answer = await merchant.reply()
    assert answer["text"].startswith("退货退款（结算后）")
    assert "原来付款的那张卡" in answer["text"] and "部分退款" in answer["text"]
    assert merchant.buttons(answer)[:2] == ["👍 解决了", "👎 没解决"]


async def test_english_pre_authorization_with_a_z_is_answered(english_merchant: ChatUser) -> None:
    await english_merchant.send("Our hotel needs a pre-authorization on the guest's card, how?")
    answer = await english_merchant.reply()
    assert answer["text"].startswith("Pre-authorisation, completion and release")
    assert "Completion" in answer["text"] and "Release" in answer["text"]


@on_both_backends
async def test_a_merchant_asking_when_the_money_arrives_gets_their_next_payout_date(
    bot: Application, merchant: ChatUser, bot_settings: Settings
) -> None:
    data: BotData = bot.bot_data
    await fill_demo_data(data.storage, timezone=bot_settings.timezone, merchants=1, days=3,
                         telegram_ids=[merchant.user_id])  # fmt: skip
    async with data.storage.transaction() as repos:
        payouts = await upcoming_payouts(repos, merchant.user_id, bot_settings.settlement_days)
    assert payouts
    await merchant.send("钱什么时候到账")
    answer = await merchant.reply()
    text = answer["text"]
    assert text.startswith("货款到账时间") and "您接下来的到账" in text
    first = payouts[0]
    assert format_date(first.payout_date, "medium", locale="zh_CN") in text
    assert format_fen(first.net, "zh-CN") in text
    # The business day reads as a Chinese date ("12月1日的交易"), not "12月 1的交易".
    day = first.business_day
    assert f"{day.month}月{day.day}日" in text and f"{day.month}月 {day.day}" not in text
    assert f"T+{bot_settings.settlement_days}" in text and "{settlement_days}" not in text


async def test_a_stranger_asking_when_the_money_arrives_gets_the_general_answer(
    server: BotApiServer, bot: Application, bot_settings: Settings
) -> None:
    stranger = ChatUser(server, 10077, "路人", language_code="zh-hans")
    await stranger.send("钱什么时候到账")
    text = (await stranger.reply())["text"]
    assert text.startswith("货款到账时间") and f"T+{bot_settings.settlement_days}" in text
    assert "您接下来的到账" not in text and "没有待到账" not in text
