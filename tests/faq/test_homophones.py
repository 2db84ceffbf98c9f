"""Homophone typos typed on a pinyin keyboard still find their topic."""

from __future__ import annotations

import pytest

from faq.retrieval import FaqIndex


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("新机器到了怎么激火", "device.activate"),
        ("晚上关门前结酸怎么做", "usage.settlement"),
        ("刷卡失拜了 顾客的卡有问题吗", "usage.card_declined"),
        ("押进要交多少", "apply.fees"),
    ],
)
def test_a_homophone_typo_is_answered_like_the_word_it_sounds_like(
    index: FaqIndex, question: str, expected: str
) -> None:
    answer = index.ask(question, "zh-CN")
    assert answer.entry is not None and answer.entry.id == expected, answer.terms


def test_real_words_next_to_each_other_are_not_rewritten(index: FaqIndex) -> None:
    # 吗 after 申请 is not the 码 of 申请码; 办 is 申请, not the 班 of 下班.
    assert "申请码" not in index.ask("被拒了还能再申请吗", "zh-CN").terms
    terms = index.ask("我想问下办这个机器要不要钱", "zh-CN").terms
    assert "下班" not in terms and "申请" in terms
