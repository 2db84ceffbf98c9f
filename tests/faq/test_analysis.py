"""Text analysis: stemming, language, synonyms and stop-words, spelling, lexicon guards."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from faq.analysis import Analyzer, detect_language, stem
from faq.vocabulary import LEXICON_DIR, Lexicon, Speller


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Lexicon.load())


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("terminals", "terminal"),
        ("deliveries", "delivery"),
        ("shipped", "ship"),
        ("shipping", "ship"),
        ("activated", "activat"),
        ("activate", "activat"),
        ("status", "status"),
        ("pos", "pos"),
    ],
)
def test_stem_joins_word_forms(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_detect_language() -> None:
    assert detect_language("申请码") == "zh-CN"
    assert detect_language("my POS机") == "zh-CN"
    assert detect_language("my code") == "en"
    assert detect_language("???", hint="zh-CN") == "zh-CN"
    assert detect_language("???") == "en"


def test_chinese_synonyms_meet_on_one_term(analyzer: Analyzer) -> None:
    for variant in ["机子", "刷卡机", "POS机", "终端", "ＰＯＳ机"]:
        assert analyzer.analyze(f"{variant}坏了", "zh-CN") == ["pos机", "故障"]
    assert analyzer.analyze("执照", "zh-CN") == analyzer.analyze("营业执照", "zh-CN")
    assert analyzer.analyze("账单", "zh-CN") == analyzer.analyze("交易明细", "zh-CN")


def test_english_phrases_win_over_their_words_and_stop_words_go(analyzer: Analyzer) -> None:
    assert analyzer.analyze("my card machine won't turn on", "en") == ["pos", "fault"]
    assert analyzer.analyze("the card is declined", "en") == ["card", "reject"]
    assert analyzer.analyze("What is the application code?", "en") == ["meaning", "appcode"]


def test_freezing_the_terminal_is_blocking_it_and_a_freezing_screen_a_fault(
    analyzer: Analyzer,
) -> None:
    assert analyzer.analyze("how do I freeze my terminal", "en") == ["how", "stolen", "pos"]
    assert analyzer.analyze("someone took it, freeze it", "en")[-1] == "stolen"
    assert analyzer.analyze("the screen keeps freezing", "en")[-1] == "fault"
    assert analyzer.analyze("my screen freezes", "en")[-1] == "fault"


def test_speller_fixes_one_typo_in_longer_words_only(analyzer: Analyzer) -> None:
    speller = analyzer.speller(["how to activate the terminal", "where is the price list"])
    assert analyzer.analyze("actvate the termnial", "en", speller) == ["activate", "pos"]
    # Short words are left alone: "rice" must not become "price".
    assert analyzer.analyze("cook rice", "en", speller) == ["cook", "ric"]


def test_speller_keeps_the_first_letter_and_prefers_frequent_words() -> None:
    speller = Speller(Counter({"terminal": 3, "terminus": 1, "phone": 5}), frozenset())
    assert speller.correct("terminl") == "terminal"
    assert speller.correct("xerminal") == "xerminal"
    # "iphone" is another product, not a misspelt "phone".
    assert speller.correct("iphone") == "iphone"


def _lexicon_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "lexicon"
    shutil.copytree(LEXICON_DIR, directory)
    return directory


def test_a_variant_under_two_canonicals_is_refused(tmp_path: Path) -> None:
    directory = _lexicon_copy(tmp_path)
    synonyms = directory / "synonyms.yaml"
    text = synonyms.read_text(encoding="utf-8").replace("  汇总: [汇总,", "  汇总: [汇总, 流水,")
    synonyms.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="流水"):
        Lexicon.load(directory)


def test_a_yaml_boolean_in_the_lexicon_is_refused(tmp_path: Path) -> None:
    directory = _lexicon_copy(tmp_path)
    stopwords = directory / "stopwords.yaml"
    text = stopwords.read_text(encoding="utf-8").replace("'on'", "on")
    stopwords.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="quote it"):
        Lexicon.load(directory)
