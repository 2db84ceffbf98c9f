"""Homophone typos in Chinese questions, folded onto the knowledge base's words: 激火 -> 激活.

Phone keyboards type Chinese by pinyin, so the commonest typo is a character that sounds
the same as the intended one (激火, 结酸, 审盒). The segmenter finds no word there and
leaves single characters; a run of two to four such characters that sounds exactly like
one word of the knowledge base, and differs from it in at most one character (two in
four), is replaced by that word before the question is analysed. Runs that include part
of a real word are never touched, so "申请吗" stays "申请吗"; nor is a character the
lexicon already reads as a word ("办" in "问下办" is 申请, not the 班 of 下班). Sounds are
toneless pinyin (lexicon/pinyin.txt); a sound shared by two words of different meaning
(different synonym canonicals) is ambiguous and left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from faq.analysis import Analyzer
from faq.vocabulary import LEXICON_DIR

PINYIN_FILE = LEXICON_DIR / "pinyin.txt"
_LENGTHS = (4, 3, 2)


def load_sounds(path: Path = PINYIN_FILE) -> dict[str, str]:
    """Character -> toneless pinyin, from the lexicon's table."""
    sounds: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        sound, chars = line.split(" ", 1)
        for char in chars.strip():
            sounds.setdefault(char, sound)
    return sounds


class Homophones:
    """Replaces sound-alike non-words in a (normalised) Chinese text with knowledge-base words."""

    def __init__(
        self,
        sounds: dict[str, str],
        vocabulary: Iterable[tuple[str, str]],
        segment: Callable[[str], list[str]],
        meaningful: frozenset[str] = frozenset(),
    ) -> None:
        """vocabulary: (word, meaning) pairs; words of one meaning may share a sound.

        meaningful: characters that are words of the lexicon and are never replaced.
        """
        self._sounds = sounds
        self._segment = segment
        self._meaningful = meaningful
        self._vocabulary: set[str] = set()
        self._by_sound: dict[tuple[str, ...], tuple[str, str] | None] = {}
        for word, meaning in vocabulary:
            key = self._key(word)
            if key is None or len(word) not in _LENGTHS or word in self._vocabulary:
                continue
            self._vocabulary.add(word)
            if key not in self._by_sound:
                self._by_sound[key] = (word, meaning)
            elif (seen := self._by_sound[key]) is not None and seen[1] != meaning:
                # Two words of different meaning with one sound: no way to tell which.
                self._by_sound[key] = None

    def fix(self, text: str) -> str:
        """The text with each homophone typo replaced by the word it sounds like."""
        out: list[str] = []
        run: list[str] = []  # consecutive single characters the segmenter left alone
        for token in [*self._segment(text), ""]:
            if len(token) == 1 and token in self._sounds:
                run.append(token)
                continue
            out.append(self._fix_run(run))
            out.append(token)
            run = []
        return "".join(out)

    def _fix_run(self, run: list[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(run):
            for length in _LENGTHS:
                window = "".join(run[i : i + length])
                word = self._match(window) if len(window) == length else None
                if word is not None:
                    out.append(word)
                    i += length
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    def _match(self, window: str) -> str | None:
        if window in self._vocabulary:
            return None
        key = self._key(window)
        found = self._by_sound.get(key) if key is not None else None
        if found is None:
            return None
        word = found[0]
        changed = [a for a, b in zip(window, word, strict=True) if a != b]
        if len(changed) > (2 if len(window) == 4 else 1) or self._meaningful.intersection(changed):
            return None
        return word

    def _key(self, text: str) -> tuple[str, ...] | None:
        sounds = tuple(self._sounds.get(char, "") for char in text)
        return None if "" in sounds else sounds


def build_homophones(texts: Iterable[str], analyzer: Analyzer) -> Homophones:
    """Homophones for the knowledge base's Chinese texts and the lexicon's Chinese words.

    Each word's meaning is its synonym canonical; stop-words are not targets (先在 is not
    a typo of 现在), and one-character lexicon words are never replaced.
    """
    synonyms = analyzer.lexicon.synonyms["zh-CN"]
    stopwords = analyzer.lexicon.stopwords["zh-CN"]
    words = list(synonyms.items())
    for text in texts:
        words.extend((term, synonyms.get(term, term)) for term in analyzer.raw_terms(text, "zh-CN"))
    vocabulary = [(word, meaning) for word, meaning in words if word not in stopwords]
    meaningful = frozenset(word for word in synonyms if len(word) == 1)
    return Homophones(load_sounds(), vocabulary, analyzer.segment, meaningful)
