"""The shipped knowledge base: complete, valid, and written in its own words."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.commands import COMMANDS
from faq.check import check_knowledge_base
from faq.cli import HELD_OUT_SETS
from faq.cues import load_cues
from faq.knowledge import CATEGORIES, KnowledgeBase
from tests.faq.conftest import PARAPHRASES, question_key

REQUIRED_TOPICS = {
    "apply.process", "apply.materials", "apply.channels", "apply.account", "apply.review",
    "apply.rejected", "apply.payment_methods", "contract.sign", "shipping.track", "code.what",
    "code.obtain", "code.lost", "code.voucher", "device.activate", "usage.power_on",
    "usage.transaction", "usage.settlement", "usage.maintenance", "device.update",
    "notes.security", "notes.reconciliation", "notes.compliance", "notes.safekeeping",
    "support.fault", "support.contact", "transactions.query", "summary.settings", "status.query",
    # issue 16: the usage guide in depth
    "usage.sale", "usage.void", "usage.refund", "usage.preauth", "usage.scan_pay",
    "usage.card_declined", "usage.receipt", "settlement.payout_time", "device.network",
    "device.relocate", "device.lost", "device.return", "support.dispute",
}  # fmt: skip
BOT_COMMANDS = set(COMMANDS)


def test_the_shipped_knowledge_base_passes_the_check(kb: KnowledgeBase) -> None:
    assert check_knowledge_base(kb, load_cues()) == []


def test_every_required_topic_is_answered(kb: KnowledgeBase) -> None:
    assert REQUIRED_TOPICS - {entry.id for entry in kb.entries} == set()


def test_every_category_has_entries_and_lookup_works(kb: KnowledgeBase) -> None:
    for category in CATEGORIES:
        entries = kb.by_category(category)
        assert entries, category
        assert all(entry.category == category for entry in entries)
    entry = kb.get("code.lost")
    assert entry is not None
    assert entry.title_for("zh-CN") and entry.title_for("en")
    assert entry.category_title("zh-CN") == "常见问题"
    assert kb.get("no.such.topic") is None


def test_answers_only_mention_commands_the_bot_has(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        for answer in entry.answer.values():
            assert set(re.findall(r"(?<![<\w])/([a-z_]+)", answer)) <= BOT_COMMANDS, entry.id


def test_answers_promise_no_made_up_contacts(kb: KnowledgeBase) -> None:
    # No phone numbers, links or percentages the product cannot back.
    for entry in kb.entries:
        for answer in entry.answer.values():
            assert not re.search(r"\d{5,}|https?://|\d+(\.\d+)?\s*%", answer), entry.id


def _copied(kb: KnowledgeBase, questions_file: Path) -> list[str]:
    phrasings = {
        question_key(q) for entry in kb.entries for qs in entry.questions.values() for q in qs
    }
    items = yaml.safe_load(questions_file.read_text(encoding="utf-8"))
    return [item["q"] for item in items if question_key(item["q"]) in phrasings]


def test_dev_questions_are_not_copied_into_the_phrasings(
    kb: KnowledgeBase, dev_questions: Path
) -> None:
    assert _copied(kb, dev_questions) == []


def test_our_paraphrases_stay_held_out(kb: KnowledgeBase) -> None:
    assert _copied(kb, PARAPHRASES) == []


def test_conversational_calibration_questions_stay_out_of_the_phrasings(kb: KnowledgeBase) -> None:
    assert _copied(kb, PARAPHRASES.with_name("conversational.yaml")) == []
    assert _copied(kb, PARAPHRASES.with_name("conversational2.yaml")) == []
    assert _copied(kb, PARAPHRASES.with_name("conversational3.yaml")) == []
    assert _copied(kb, PARAPHRASES.with_name("conversational4.yaml")) == []


def test_held_out_questions_stay_held_out(kb: KnowledgeBase) -> None:
    for held_out in HELD_OUT_SETS:
        assert _copied(kb, held_out) == [], held_out.name


def test_answers_speak_with_one_voice(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        zh, en = entry.answer["zh-CN"], entry.answer["en"]
        assert "你" not in zh, entry.id  # 您 throughout, as the rest of the bot
        assert not zh.lstrip().startswith(("需要。", "可以。")), entry.id
        assert not en.lstrip().startswith(("Yes.", "No.")), entry.id
        assert (
            "本指南" not in zh
            and "这份指南" not in zh
            and "the guide" not in en.lower()
            and "this guide" not in en.lower()
        ), entry.id
