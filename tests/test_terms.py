"""Templates name buttons, fields and statuses through term(): every name must exist in the
term list of its locale, and a sentence quotes a button as the button reads."""

from __future__ import annotations

import re

import pytest

from bot.i18n import TEMPLATES_DIR, Renderer, build_environment
from bot.settings import LOCALES

# A key may be a prefix completed at render time: term("state_" ~ state).
TERM = re.compile(r'term\("(?P<key>[a-z0-9_]+)"(?P<rest>\s*~)?(?P<args>[^)]*)\)')
SOURCE = re.compile(r'source="(?P<source>[^"]+)"')


@pytest.mark.parametrize("locale", LOCALES)
def test_every_term_a_template_uses_is_in_the_term_list(locale: str) -> None:
    env = build_environment()
    used = 0
    for path in (TEMPLATES_DIR / locale).rglob("*.j2"):
        for match in TERM.finditer(path.read_text(encoding="utf-8")):
            source = SOURCE.search(match["args"])
            labels = env.get_template(f"{locale}/{source['source'] if source else 'labels'}.j2")
            if match["rest"]:
                known = any(block.startswith(match["key"]) for block in labels.blocks)
            else:
                known = match["key"] in labels.blocks
            assert known, f"{path.name}: no term {match['key']!r}"
            used += 1
    assert used >= 10


def test_a_sentence_names_the_button_as_it_reads_without_its_icon() -> None:
    renderer = Renderer()
    for locale, fix in (("zh-CN", "修改资料"), ("en", "Fix")):
        assert renderer.label(locale, "btn_fix") == f"✏️ {fix}"
        text = renderer.render(locale, "review/rejected", number="AP1", flags=[])
        assert f"“{fix}”" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rejection_names_its_fields_as_they_were_named_when_queued(locale: str) -> None:
    """A rejection queues its fields by key and the sender names them; one queued before that
    carries the names already drawn: both read the same."""
    renderer = Renderer()
    fields = ("merchant_name", "phone", "id_front")
    by_key = [{"field": f, "reason": "x & y"} for f in fields]
    named = [
        {"label": renderer.plain_label(locale, f"field_{f}"), "reason": "x & y"} for f in fields
    ]
    text = renderer.render(locale, "review/rejected", number="AP1", flags=by_key)
    assert text == renderer.render(locale, "review/rejected", number="AP1", flags=named)
    assert renderer.plain_label(locale, "field_merchant_name") in text
