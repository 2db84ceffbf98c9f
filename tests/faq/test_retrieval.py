"""Questions worded unlike the knowledge base find their topic; off-topic ones abstain."""

from __future__ import annotations

import pytest
import yaml

from faq.analysis import Analyzer
from faq.knowledge import FaqEntry, KnowledgeBase
from faq.retrieval import FaqIndex
from faq.vocabulary import OUT_OF_SCOPE, Lexicon
from tests.faq.conftest import OFF_TOPIC


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # Synonyms merchants use for the terminal, the licence, the statement, faults.
        ("刷卡机坏了咋整", "support.fault"),
        ("机子到手了怎么开通", "device.activate"),
        ("流水在哪看", "transactions.query"),
        ("没有执照能办吗", "apply.materials"),
        ("钱什么时候到账", "settlement.payout_time"),
        ("结算卡要换", "account.settlement_change"),
        ("my card reader is frozen", "support.fault"),
        ("can I get the bot in english", "settings.language"),
        # Typos in both languages, and full-width letters.
        ("申清码在哪领", "code.obtain"),
        ("how do I actvate the termnial", "device.activate"),
        ("I forgott my aplication code", "code.lost"),
        ("ＰＯＳ机怎么激活", "device.activate"),
        # Everyday questions tried in the sandbox: money, waiting, double charges, sign-in,
        # Huabei as a way to pay, one kind of card's fee.
        ("钱什么时候到", "settlement.payout_time"),
        ("申请要多久", "apply.review"),
        ("顾客说扣了两次钱", "support.dispute"),
        ("机器显示请签到", "usage.power_on"),
        ("可以收花呗吗", "apply.payment_methods"),
        ("刷信用卡的手续费怎么算", "apply.fees"),
        ("how are fees calculated for credit cards", "apply.fees"),
        ("怎么看上个月的交易", "transactions.query"),
        ("今天刷了几笔", "transactions.query"),
        ("I moved to shanghai can i keep the machine", "device.relocate"),
        ("where is my terminal", "shipping.track"),
        ("what do i need to apply", "apply.materials"),
        ("押金什么时候退", "apply.fees"),
        ("服务费每个月扣吗", "apply.fees"),
        # Written Cantonese (lexicon/cantonese.txt), a foreign merchant's passport beside two
        # topic words, a terminal that hangs, impersonation, lending the terminal.
        ("部機點樣開機", "usage.power_on"),
        ("我嘅申請碼搵唔到", "code.lost"),
        (
            "I'm a foreigner, can I verify my identity with a passport when I register?",
            "apply.account",
        ),
        ("the terminal keeps rebooting", "support.fault"),
        ("机器卡住了", "support.fault"),
        ("someone pretending to be your staff asked for my password", "notes.security"),
        ("can my neighbour's shop use my terminal for their sales", "notes.compliance"),
    ],
)
def test_differently_worded_questions_find_their_topic(
    index: FaqIndex, question: str, topic: str
) -> None:
    answer = index.ask(question)
    assert answer.entry is not None, answer.reason
    assert answer.entry.id == topic
    assert answer.candidates[0].id == topic


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("你好", "no_terms"),
        ("谢谢你", "no_terms"),
        ("Who are you?", "no_terms"),
        ("？？？", "no_terms"),
        ("asdfghjkl", "no_concept"),
        ("What's the weather in Hangzhou", "no_concept"),
        ("what time is it", "no_concept"),
        ("Tell me a joke about POS machines", "no_concept"),
        ("How do I apply for a credit card?", "out_of_scope"),
        ("花呗怎么开通", "out_of_scope"),
        ("How do I open a Taobao shop?", "out_of_scope"),
        ("how do I renew my passport", "out_of_scope"),
    ],
)
def test_off_topic_questions_abstain_and_say_why(
    index: FaqIndex, question: str, reason: str
) -> None:
    answer = index.ask(question)
    assert answer.entry is None
    assert not answer.confident
    assert answer.reason == reason


def test_our_paraphrases_are_answered_and_off_topic_ones_abstain(
    index: FaqIndex, kb: KnowledgeBase, paraphrases: list[dict[str, str | None]]
) -> None:
    answered = [item for item in paraphrases if item["expect"] is not None]
    results = [(item, index.ask(str(item["q"]))) for item in paraphrases]
    correct = [i for i, a in results if i["expect"] and a.entry and a.entry.id == i["expect"]]
    wrong = [(i, a.entry) for i, a in results if a.entry and a.entry.id != i["expect"]]
    # Measured 440/478 (92.1%) once round 6 added long conversational questions; the floor
    # leaves room for wording changes in the KB.
    assert len(correct) / len(answered) >= 0.90
    # Abstaining beats a confident wrong answer: no off-topic question is answered, and a
    # wrong answer is at most the overview next to a detailed topic ("刷卡收款": taking a
    # payment or a card sale), one of the two listing the other among its related buttons.
    assert [i["q"] for i, _ in wrong if i["expect"] is None] == []
    for item, entry in wrong:
        expected = kb.get(str(item["expect"]))
        assert expected is not None
        assert item["expect"] in entry.related or entry.id in expected.related, item["q"]


def test_hard_off_topic_questions_mostly_abstain(index: FaqIndex) -> None:
    items = yaml.safe_load(OFF_TOPIC.read_text(encoding="utf-8"))
    answered = [item["q"] for item in items if index.ask(item["q"]).entry is not None]
    # Measured 4 of 41 (rent contract, coffee price, opening Alipay or WeChat Pay accounts).
    assert len(answered) <= 5, answered


def test_language_comes_from_the_text_and_the_hint_only_breaks_ties(index: FaqIndex) -> None:
    assert index.ask("POS机怎么激活").language == "zh-CN"
    assert index.ask("how to activate pos机").language == "zh-CN"  # any CJK means Chinese
    assert index.ask("How do I activate the terminal?", locale_hint="zh-CN").language == "en"
    assert index.ask("123", locale_hint="zh-CN").language == "zh-CN"
    assert index.ask("123", locale_hint="zh-hans").language == "zh-CN"
    assert index.ask("123").language == "en"


def test_candidates_are_offered_even_when_abstaining(index: FaqIndex) -> None:
    # Off-topic, but it names the daily summary: not answered, the summary topic offered.
    # ("write a summary of my week" was the example until the seventeenth round answered
    # it with the summary's settings, "write a poem about my daily summary" until the
    # eighteenth's topic classifier did the same: a request to write something that names a
    # topic is a known weakness, faq/README.md.)
    answer = index.ask("translate my daily summary into Japanese")
    assert answer.entry is None
    assert [c.id for c in answer.candidates][:1] == ["summary.settings"]
    assert len(index.ask("how do I get my code").candidates) <= 3


def test_a_long_pasted_message_is_handled(index: FaqIndex) -> None:
    answer = index.ask("POS机坏了 " * 2000)
    assert answer.entry is not None
    assert answer.entry.id == "support.fault"


def test_an_index_over_one_language_abstains_in_the_other() -> None:
    entry = FaqEntry(
        id="only.zh",
        category="common",
        title={"zh-CN": "申请码"},
        questions={"zh-CN": ["申请码是什么"]},
        answer={"zh-CN": "发送 /code。"},
    )
    index = FaqIndex.build(KnowledgeBase(entries=[entry]))
    assert index.ask("申请码是什么").entry == entry
    assert index.ask("what is the application code").reason == "no_terms"


def test_every_phrasing_reads_as_a_question_about_our_product(kb: KnowledgeBase) -> None:
    analyzer = Analyzer(Lexicon.load())
    for entry in kb.entries:
        for locale, questions in entry.questions.items():
            for question in questions:
                terms = analyzer.analyze(question, locale)
                assert terms, (entry.id, question)
                assert OUT_OF_SCOPE not in terms, (entry.id, question)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # Everyday words ("卡", "call", "stopped working") are evidence only next to the
        # terminal or paying with it: the same words about the POS are answered.
        ("银行卡丢了怎么挂失", None),
        ("my fridge stopped working, who should I call", None),
        ("pos机丢了怎么挂失", "device.lost"),
        ("my card machine stopped working", "support.fault"),
    ],
)
def test_everyday_words_need_the_terminal_to_count(
    index: FaqIndex, question: str, topic: str | None
) -> None:
    answer = index.ask(question)
    assert (answer.entry.id if answer.entry else None) == topic, answer.terms


def test_chinese_typed_with_spaces_is_read_clause_by_clause(index: FaqIndex) -> None:
    # Phones put spaces where a comma would be; the asking clause is judged on its own.
    answer = index.ask("我是开服装店的 上个月卖出去一件衣服 客人今天拿回来了 退款怎么弄")
    assert answer.entry is not None and answer.entry.id == "usage.refund", answer.reason


def test_the_trimmed_jieba_dictionary_keeps_domain_words_whole() -> None:
    analyzer = Analyzer(Lexicon.load())
    assert {"预授权", "营业执照", "申请码"} <= set(
        analyzer.raw_terms("预授权要营业执照和申请码吗", "zh-CN")
    )


def test_a_cue_of_time_tells_a_void_from_a_refund(index: FaqIndex) -> None:
    # The same words; "just now" is a same-day void, "yesterday" a refund (lexicon/cues.yaml).
    just_now = index.ask("顾客刚刚刷的那笔要退给他")
    assert just_now.entry is not None and just_now.entry.id == "usage.void"
    yesterday = index.ask("顾客昨天刷的那笔要退给他")
    assert yesterday.entry is not None and yesterday.entry.id == "usage.refund"
