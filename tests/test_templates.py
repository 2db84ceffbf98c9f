"""Every text a person sees exists in both locales and is valid Telegram HTML."""

from __future__ import annotations

import re

from bot.application.validation import ERROR_CODES
from bot.documents import ERROR_CODES as DOCUMENT_ERRORS
from bot.i18n import TEMPLATES_DIR, Renderer, template_names
from bot.notify import locale_for

BLOCK = re.compile(r"{%\s*block\s+(\w+)\s*%}")


def blocks(locale: str, name: str) -> set[str]:
    return set(BLOCK.findall((TEMPLATES_DIR / locale / name).read_text("utf-8")))


def test_every_template_exists_in_both_locales() -> None:
    names = template_names()
    assert names["zh-CN"] == names["en"], names["zh-CN"] ^ names["en"]


def test_every_block_exists_in_both_locales() -> None:
    for name in template_names()["zh-CN"]:
        zh, en = blocks("zh-CN", name), blocks("en", name)
        assert zh == en, (name, zh ^ en)


def test_every_validation_error_has_a_message() -> None:
    for locale in ("zh-CN", "en"):
        have = blocks(locale, "apply/errors.j2")
        missing = {c for c in ERROR_CODES + DOCUMENT_ERRORS if c.replace(".", "_") not in have}
        assert not missing, (locale, missing)


def test_values_are_html_escaped() -> None:
    text = Renderer().render("en", "start", name="<script>")
    assert "&lt;script&gt;" in text and "<script>" not in text


def test_locale_follows_telegram_language_code() -> None:
    assert locale_for("zh-hans") == "zh-CN"
    assert locale_for("en-US") == "en"
    assert locale_for("ru") == "zh-CN"
    assert locale_for(None) == "zh-CN"
