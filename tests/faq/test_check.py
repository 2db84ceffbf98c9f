"""`faq check` reports each kind of broken entry, and nothing for a sound one."""

from __future__ import annotations

from typing import Any

from faq.check import check_knowledge_base
from faq.cues import CueRule
from faq.knowledge import FaqEntry, KnowledgeBase


def make_entry(entry_id: str = "demo.topic", **overrides: Any) -> FaqEntry:
    fields: dict[str, Any] = {
        "id": entry_id,
        "category": "common",
        "title": {"zh-CN": "示例", "en": "Example"},
        "questions": {
            "zh-CN": [f"示例问题{i}" for i in range(5)],
            "en": [f"example question {i}" for i in range(5)],
        },
        "answer": {
            "zh-CN": "发送 /support 联系<b>工作人员</b>。",
            "en": "Send /support to ask a <b>person</b>.",
        },
        "related": [],
        "action": "support",
    }
    fields.update(overrides)
    return FaqEntry.model_validate(fields)


def problems_of(*entries: FaqEntry) -> list[str]:
    return check_knowledge_base(KnowledgeBase(entries=list(entries)))


def test_a_sound_entry_has_no_problems() -> None:
    assert problems_of(make_entry()) == []


def test_duplicate_id_is_reported() -> None:
    other_questions = {
        "zh-CN": [f"别的问题{i}" for i in range(5)],
        "en": [f"other {i}" for i in range(5)],
    }
    problems = problems_of(make_entry(), make_entry(questions=other_questions))
    assert problems == ["demo.topic: duplicate id (2 entries)"]


def test_missing_english_answer_is_reported() -> None:
    problems = problems_of(make_entry(answer={"zh-CN": "发送 /support。"}))
    assert problems == ["demo.topic: [en] missing answer"]


def test_missing_title_and_too_few_phrasings_are_reported() -> None:
    entry = make_entry(title={"en": "Example"}, questions={"zh-CN": ["只有一个"], "en": ["one"]})
    problems = problems_of(entry)
    assert "demo.topic: [zh-CN] missing title" in problems
    assert "demo.topic: [zh-CN] 1 question phrasings, need 5" in problems
    assert "demo.topic: [en] 1 question phrasings, need 5" in problems


def test_invalid_telegram_html_is_reported_with_telegram_reason() -> None:
    entry = make_entry(answer={"zh-CN": "发送 /support。", "en": "Send <b>/support</b"})
    [problem] = problems_of(entry)
    assert problem.startswith("demo.topic: [en] answer is not valid Telegram HTML: ")


def test_formatting_outside_our_subset_is_reported() -> None:
    entry = make_entry(answer={"zh-CN": "发送 <u>/support</u>。", "en": "Send /support."})
    assert problems_of(entry) == [
        "demo.topic: [zh-CN] answer uses 'underline' formatting; "
        "only <b>, <i>, <code>, <a href> are used"
    ]


def test_links_and_code_are_allowed() -> None:
    answer = 'Send <code>/code</code> or read <a href="https://example.com/x">this</a>, <i>ok</i>.'
    assert problems_of(make_entry(answer={"zh-CN": answer, "en": answer})) == []


def test_answer_longer_than_a_telegram_message_is_reported() -> None:
    entry = make_entry(answer={"zh-CN": "长" * 4097, "en": "Send /support."})
    assert problems_of(entry) == [
        "demo.topic: [zh-CN] answer is 4097 characters, Telegram allows 4096"
    ]


def test_unknown_related_id_is_reported() -> None:
    problems = problems_of(make_entry(related=["apply.nowhere", "demo.topic"]))
    assert problems == [
        "demo.topic: related id 'apply.nowhere' does not exist",
        "demo.topic: lists itself as related",
    ]


def test_unknown_category_and_action_are_reported() -> None:
    problems = problems_of(make_entry(category="misc", action="dance"))
    assert problems == [
        "demo.topic: unknown category 'misc' (one of apply, usage, notes, common)",
        "demo.topic: unknown action 'dance' "
        "(one of apply, code, faq, status, summary_settings, support)",
    ]


def test_same_phrasing_under_two_topics_is_reported() -> None:
    problems = problems_of(make_entry("a.one"), make_entry("a.two"))
    assert "a.two: [en] phrasing 'example question 0' also in a.one" in problems
    assert "a.two: [zh-CN] phrasing '示例问题0' also in a.one" in problems


def test_a_cue_rule_naming_an_unknown_topic_is_reported() -> None:
    rule = CueRule("demo.topic", frozenset({"usage.nowhere"}), {"zh-CN": None, "en": None})
    problems = check_knowledge_base(KnowledgeBase(entries=[make_entry()]), [rule])
    assert problems == ["cues.yaml: rule favouring 'demo.topic' names unknown 'usage.nowhere'"]


def test_a_second_way_to_a_person_beside_the_support_button_is_reported() -> None:
    person = make_entry(
        "support.contact",
        questions={
            "zh-CN": [f"找人{i}" for i in range(5)],
            "en": [f"a person {i}" for i in range(5)],
        },
    )
    problems = problems_of(make_entry(related=["support.contact"]), person)
    assert problems == [
        "demo.topic: has the support button and also lists 'support.contact' as related"
    ]
