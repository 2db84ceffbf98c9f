"""Turn merchants' questions into index terms: language, segmentation, synonyms, stemming."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

from faq.knowledge import LOCALES, Locale
from faq.vocabulary import Lexicon, Speller, normalize

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_WORD = re.compile(r"\w")
_EN_TOKEN = re.compile(r"[a-z0-9]+")
# Clock times say "when" whatever the hour: "9pm", "21:30", "晚上9点" all mean a time.
_EN_CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b")
_ZH_CLOCK = re.compile(r"\d{1,2}\s*(?:[点:：]\s*(?:\d{1,2}\s*分?|半)?)")
# Likewise "3天" or "5个工作日" asks how long something takes.
_ZH_DURATION = re.compile(r"\d+\s*个?\s*(?:工作日|天|小时|星期|周)")
# Contractions become words so "won't turn on" and "wont turn on" meet the same phrase.
_CONTRACTIONS = (
    (re.compile(r"\bwon['’]t\b"), "will not"),
    (re.compile(r"\bcan['’]t\b"), "can not"),
    (re.compile(r"n['’]t\b"), " not"),
    (re.compile(r"['’](s|m|re|ve|ll|d)\b"), ""),
)
# British spellings meet American ones: "authorisation" and "authorization" are one word.
_BRITISH = (
    (re.compile(r"\b(\w{3,})is(e|ed|es|ing|ation|ations)\b"), r"\1iz\2"),
    (re.compile(r"\b(col|hon|fav|behavi|lab|neighb)our"), r"\1or"),
    (re.compile(r"\bcentre"), "center"),
    (re.compile(r"\blicence"), "license"),
    (re.compile(r"\bcheque"), "check"),
    (re.compile(r"\b(cancel|travel|label)l(ed|ing)\b"), r"\1\2"),
)
_UNDOUBLE_EXCEPT = frozenset("lsz")
# "care" (looking after the terminal) would become "car", the word of an everyday question
# ("my car battery is dead") that is not ours.
_KEEP_FINAL_E = frozenset({"care"})
_VOWELS = frozenset("aeiou")
_MAX_PHRASE = 5


def detect_language(text: str, hint: Locale | None = None) -> Locale:
    """zh-CN if the text has any CJK character, else en; the hint decides if it has no letters."""
    if _CJK.search(text):
        return "zh-CN"
    if _LATIN.search(text):
        return "en"
    return hint or "en"


def stem(word: str) -> str:
    """A light English stemmer: plurals, -ing, -ed and a final e, enough to join word forms."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in _UNDOUBLE_EXCEPT | _VOWELS:
                word = word[:-1]
            break
    if word.endswith("e") and len(word) >= 4 and word not in _KEEP_FINAL_E:
        word = word[:-1]
    return word


# jieba's dictionary holds 349k words and costs about 60 MB and a second to load; words
# seen fewer than this many times in its corpus are never the words of a POS question
# (they are split into shorter words or characters, which the synonyms and character
# n-grams still match), and dropping them leaves a sixth of the memory and load time.
# Chosen by measurement: top-1 on the calibration questions is unchanged (BENCHMARKS.md).
# Eighteenth round, with the topic classifier (whose character n-grams do not depend on the
# segmentation): 10 -> 30 leaves the held-apart top-1 and off-topic rate unchanged (98.0%,
# 95.0%; 100 too) and pays for the classifier's memory (peak RSS 94.8 -> 88.7 MB).
MIN_WORD_FREQ = 30


@lru_cache(maxsize=4)
def _jieba_tokenizer(words: tuple[str, ...], min_word_freq: int = MIN_WORD_FREQ) -> jieba.Tokenizer:
    # A private tokenizer: our domain words must not leak into other users of the global
    # jieba instance. Loading the dictionary dominates build time, hence the cache.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    _load_dictionary(tokenizer, min_word_freq)
    for word in words:
        # suggest_freq picks the smallest frequency that keeps the word whole.
        tokenizer.add_word(word, tokenizer.suggest_freq(word, tune=False))
    return tokenizer


def _load_dictionary(tokenizer: jieba.Tokenizer, min_word_freq: int) -> None:
    """jieba's own dictionary without its rare words, in place of Tokenizer.initialize().

    The total keeps every word's count, so the kept words have the probabilities they
    have in the full dictionary and segment the same way.
    """
    freq: dict[str, int] = {}
    total = 0
    path = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, count_text = line.split(" ", 2)[:2]
            count = int(count_text)
            total += count
            if count >= min_word_freq:
                freq[word] = count
                # jieba's prefix dictionary: every prefix of a word is a key (0 if not a word).
                for end in range(1, len(word)):
                    freq.setdefault(word[:end], 0)
    tokenizer.FREQ, tokenizer.total = freq, total
    tokenizer.initialized = True


class Analyzer:
    """Language-aware analysis: raw terms, then phrase/synonym mapping, then stop-words."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        colloquial = dict(lexicon.colloquial)
        self._colloquial = (
            (
                re.compile("|".join(re.escape(c) for c, _ in lexicon.colloquial)),
                colloquial.__getitem__,
            )
            if colloquial
            else None
        )
        zh_words = {w for w in lexicon.synonyms["zh-CN"] if _CJK.search(w)}
        self._tokenizer = _jieba_tokenizer(tuple(sorted(zh_words | set(lexicon.words))))
        # Phrase tables keyed by raw term sequences, so variants are analysed exactly
        # like questions (same segmentation, same stemming).
        self._phrases: dict[Locale, dict[tuple[str, ...], tuple[str, ...]]] = {}
        for locale in LOCALES:
            table: dict[tuple[str, ...], tuple[str, ...]] = {}
            for variant, canonical in lexicon.synonyms[locale].items():
                key = tuple(self.raw_terms(variant, locale))
                if key:
                    table.setdefault(key, tuple(canonical.split()))
            self._phrases[locale] = table
        self._stopwords = {
            locale: frozenset(t for w in words for t in self.raw_terms(w, locale))
            for locale, words in lexicon.stopwords.items()
        }

    def segment(self, text: str) -> list[str]:
        """jieba's words of a normalised Chinese text, punctuation and spaces included."""
        return list(self._tokenizer.cut(text, HMM=False))

    def raw_terms(self, text: str, locale: Locale) -> list[str]:
        """Segment (Chinese) or split and stem (English), before any synonym mapping."""
        text = self.normalize(text, locale)
        if locale == "zh-CN":
            text = _ZH_DURATION.sub(" 多久 ", _ZH_CLOCK.sub(" 几点 ", text))
            return [t for t in self._tokenizer.cut(text, HMM=False) if _WORD.search(t)]
        text = _EN_CLOCK.sub(" time ", text)
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
        return [stem(t) for t in _EN_TOKEN.findall(text)]

    def normalize(self, text: str, locale: Locale) -> str:
        """Width and case; traditional characters, Cantonese and internet spellings (zh);
        British spellings (en) folded."""
        text = normalize(text)
        if locale == "zh-CN":
            text = text.translate(self.lexicon.simplified)
            if self._colloquial is not None:
                pattern, mandarin = self._colloquial
                text = pattern.sub(lambda m: mandarin(m.group()), text)
            return text
        for pattern, replacement in _BRITISH:
            text = pattern.sub(replacement, text)
        return text

    def char_grams(self, text: str, locale: Locale) -> list[str]:
        """Character n-grams of a text: bigrams of Chinese, trigrams inside English words.

        They match what word analysis misses: a typo in one character, a compound jieba
        splits differently, a word form the stemmer does not join.
        """
        text = self.normalize(text, locale)
        if locale == "zh-CN":
            chars = "".join(_CJK.findall(text))
            return [chars[i : i + 2] for i in range(len(chars) - 1)]
        grams: list[str] = []
        for word in _EN_TOKEN.findall(text):
            if word in self._stopwords["en"] or len(word) < 3:
                continue
            padded = f"#{word}#"
            grams += [padded[i : i + 3] for i in range(len(padded) - 2)]
        return grams

    def analyze(self, text: str, locale: Locale, speller: Speller | None = None) -> list[str]:
        """Index terms of a text: canonical synonyms, no stop-words, optionally spell-corrected."""
        raw = self.raw_terms(text, locale)
        if speller is not None and locale == "en":
            raw = [speller.correct(t) for t in raw]
        return self._map(raw, locale)

    def speller(self, texts: Iterable[str]) -> Speller:
        """A speller for English questions, knowing the words of these texts and the lexicon."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(self.raw_terms(text, "en"))
        for key in self._phrases["en"]:
            counts.update({word: 0 for word in key})
        return Speller(counts, self._stopwords["en"])

    def _map(self, raw: list[str], locale: Locale) -> list[str]:
        phrases, stopwords = self._phrases[locale], self._stopwords[locale]
        terms: list[str] = []
        i = 0
        while i < len(raw):
            # Longest phrase first: "card machine" must win over "card".
            for size in range(min(_MAX_PHRASE, len(raw) - i), 0, -1):
                canonical = phrases.get(tuple(raw[i : i + size]))
                if canonical:
                    terms.extend(canonical)
                    i += size
                    break
            else:
                if raw[i] not in stopwords:
                    terms.append(raw[i])
                i += 1
        return terms
