"""Which messages are only courtesy."""

from __future__ import annotations

import pytest

from bot.smalltalk import small_talk


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", "greeting"),
        ("您好！", "greeting"),
        ("你好呀～", "greeting"),
        ("在吗？", "greeting"),
        ("Hi :)", "greeting"),
        ("Good morning", "greeting"),
        ("谢谢！！", "thanks"),
        ("谢谢啦", "thanks"),
        ("好的，谢谢", "thanks"),
        ("Thank you!", "thanks"),
        ("ok", "ack"),
        ("收到", "ack"),
    ],
)
def test_courtesy_alone_is_small_talk(text: str, kind: str) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "你好，我想问下怎么退款",
        "hi, how do I refund a sale",
        "谢谢，那钱什么时候到账",
        "POS",
        "",
        "   ",
    ],
)
def test_anything_more_is_a_question(text: str) -> None:
    assert small_talk(text) is None
