"""parse_html behaves like Telegram's HTML parse mode (tdlib's parser)."""

from __future__ import annotations

import pytest

from sandbox.telegram_html import HtmlParseError, parse_html, utf16_len


def test_plain_text_has_no_entities() -> None:
    assert parse_html("您好，欢迎申请 POS 机") == ("您好，欢迎申请 POS 机", [])


def test_every_simple_tag_and_its_alias_maps_to_an_entity_type() -> None:
    html = (
        "<b>1</b><strong>2</strong><i>3</i><em>4</em><u>5</u><ins>6</ins>"
        "<s>7</s><strike>8</strike><del>9</del><tg-spoiler>a</tg-spoiler>"
        '<span class="tg-spoiler">b</span><code>c</code><blockquote>d</blockquote>'
    )
    text, entities = parse_html(html)
    assert text == "123456789abcd"
    assert [e["type"] for e in entities] == [
        "bold",
        "bold",
        "italic",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "blockquote",
    ]
    assert [e["offset"] for e in entities] == list(range(13))


def test_nested_tags_produce_outer_entity_first() -> None:
    text, entities = parse_html("<b>粗体<i>粗斜</i></b>")
    assert text == "粗体粗斜"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 2, "length": 2},
    ]


def test_offsets_are_utf16_code_units() -> None:
    # 😀 is outside the BMP: two UTF-16 units, one Python character.
    text, entities = parse_html("😀 <b>é😀x</b>")
    assert text == "😀 é😀x"
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]
    assert utf16_len(text) == 7


def test_html_entities_are_decoded_and_count_as_one_character() -> None:
    text, entities = parse_html("<b>&lt;&gt;&amp;&quot;&#20013;&#x6587;</b>")
    assert text == '<>&"中文'
    assert entities == [{"type": "bold", "offset": 0, "length": 6}]


def test_unknown_named_entities_and_bare_ampersands_stay_literal_like_telegram() -> None:
    assert parse_html("Q&A &nbsp; &copy;") == ("Q&A &nbsp; &copy;", [])


def test_links_are_normalised_and_tg_user_links_become_text_mentions() -> None:
    text, entities = parse_html(
        '<a href="https://example.com">官网</a> <a href="example.org/a?x=1&amp;y=2">b</a> '
        '<a href="tg://user?id=10001">小王</a>'
    )
    assert text == "官网 b 小王"
    assert entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": 2,
        "url": "https://example.com/",
    }
    assert entities[1]["url"] == "http://example.org/a?x=1&y=2"
    assert entities[2]["type"] == "text_mention"
    assert entities[2]["user"]["id"] == 10001


def test_links_telegram_cannot_use_are_silently_dropped() -> None:
    assert parse_html('<a href="javascript:alert(1)">x</a>') == ("x", [])


def test_pre_with_language_code_becomes_one_pre_entity() -> None:
    text, entities = parse_html('<pre><code class="language-python">print(1)</code></pre>')
    assert text == "print(1)"
    assert entities == [{"type": "pre", "offset": 0, "length": 8, "language": "python"}]


def test_code_language_outside_pre_is_ignored() -> None:
    assert parse_html('<code class="language-python">x</code>') == (
        "x",
        [{"type": "code", "offset": 0, "length": 1}],
    )


def test_expandable_blockquote_and_custom_emoji() -> None:
    text, entities = parse_html(
        '<blockquote expandable>长引用</blockquote><tg-emoji emoji-id="5368324170671202286">'
        "👍</tg-emoji>"
    )
    assert text == "长引用👍"
    assert entities == [
        {"type": "expandable_blockquote", "offset": 0, "length": 3},
        {
            "type": "custom_emoji",
            "offset": 3,
            "length": 2,
            "custom_emoji_id": "5368324170671202286",
        },
    ]


def test_tags_are_case_insensitive_and_empty_elements_make_no_entity() -> None:
    assert parse_html("<B>x</B><i></i>") == ("x", [{"type": "bold", "offset": 0, "length": 1}])


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("hello<div>x</div>", 'Unsupported start tag "div" at byte offset 5'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("价格 < 100", 'Unsupported start tag "" at byte offset 7'),
        ("<b>未闭合", 'Can\'t find end tag corresponding to start tag "b"'),
        ("0123456789</b>", "Unexpected end tag at byte offset 10"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href=x"y>z</a>', "Unexpected end of name token at byte offset 8"),
        ("<tg-emoji emoji-id=abc>x</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_invalid_html_raises_telegrams_reason(html: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(html)
    assert caught.value.reason == reason


def test_byte_offsets_in_errors_count_utf8_bytes() -> None:
    # "中文" is 6 UTF-8 bytes, so the tag starts at byte 6, not character 2.
    with pytest.raises(HtmlParseError, match="at byte offset 6"):
        parse_html("中文<p>")
