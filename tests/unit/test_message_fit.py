"""A message cut to Telegram's limit keeps its HTML whole."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.message_fit import MESSAGE_LIMIT, fit, units


def balanced(html: str) -> bool:
    """Every tag opened is closed, in order, and nothing is cut inside a tag or an entity."""

    class Check(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=False)
            self.open: list[str] = []
            self.ok = True

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self.open.append(tag)

        def handle_endtag(self, tag: str) -> None:
            self.ok = self.ok and bool(self.open) and self.open.pop() == tag

    check = Check()
    check.feed(html)
    check.close()
    stray = re.search(r"&[a-z#0-9]*$|<[^>]*$", html)
    return check.ok and not check.open and stray is None


def test_a_text_that_fits_is_sent_as_it_is() -> None:
    text = "📝 <b>申请 AP20261202-0001</b>\n" + "• 原因 &amp; 说明\n" * 50
    assert fit(text) == text


def test_a_card_too_long_is_cut_at_a_line_with_its_tags_closed() -> None:
    lines = [f"🆕 <b><u>第 {i} 项</u></b>：<i>原因 &lt;{'很长' * 60}&gt;</i>" for i in range(60)]
    text = "<b>申请\n" + "\n".join(lines) + "</b>"
    cut = fit(text)
    assert units(cut) <= MESSAGE_LIMIT < units(text)
    assert balanced(cut) and cut.endswith("…")
    assert cut.startswith("<b>申请\n🆕 <b><u>第 0 项")


def test_one_long_line_is_cut_between_characters_never_in_an_entity() -> None:
    text = "<code>" + "&amp;😀" * 2000 + "</code>"
    cut = fit(text, limit=1001)
    assert units(cut) <= 1001 and balanced(cut) and cut.endswith("</code>…")
