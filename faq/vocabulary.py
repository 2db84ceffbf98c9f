"""The words the FAQ knows: the lexicon files (synonyms, stop-words, ...) and the speller."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faq.knowledge import LOCALES, Locale, read_yaml

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
# The term a question gets when it names another product (lexicon/out_of_scope.yaml).
OUT_OF_SCOPE = "<out-of-scope>"


def normalize(text: str) -> str:
    """Fold full-width forms and case, so ＰＯＳ机 and pos机 are one word."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Lexicon:
    """Synonyms, stop-words and extra dictionary words, per language."""

    synonyms: dict[Locale, dict[str, str]]  # variant -> canonical (space-separated terms)
    stopwords: dict[Locale, frozenset[str]]
    generic: dict[Locale, frozenset[str]]  # canonicals that are not evidence on their own
    # Concepts shared with everyday life ("call", 卡, "stopped working"): evidence only
    # when the question also names the terminal or a concept that is not weak.
    weak: dict[Locale, frozenset[str]]
    terminal: dict[Locale, frozenset[str]]  # terms that put a question at the terminal
    words: tuple[str, ...]  # Chinese words jieba must keep whole
    simplified: dict[int, str]  # traditional character -> simplified, for str.translate
    colloquial: tuple[tuple[str, str], ...] = ()  # Cantonese, internet spellings -> Mandarin

    def concepts(self, locale: Locale) -> frozenset[str]:
        """Canonical terms that name a topic (not generic, not the out-of-scope marker)."""
        terms = {t for canonical in self.synonyms[locale].values() for t in canonical.split()}
        return frozenset(terms - self.generic[locale] - {OUT_OF_SCOPE})

    @classmethod
    def load(cls, directory: Path = LEXICON_DIR) -> Lexicon:
        """Read the lexicon files (synonyms, stop-words, out-of-scope, userdict) of a directory."""
        raw_synonyms = read_yaml(directory / "synonyms.yaml")
        raw_stopwords = read_yaml(directory / "stopwords.yaml")
        raw_out_of_scope = read_yaml(directory / "out_of_scope.yaml")
        synonyms: dict[Locale, dict[str, str]] = {}
        for locale in LOCALES:
            mapping: dict[str, str] = {}
            groups = [*raw_synonyms[locale].items(), (OUT_OF_SCOPE, raw_out_of_scope[locale])]
            for canonical, variants in groups:
                # A canonical is a variant of itself, except the out-of-scope marker.
                own = [canonical] if canonical != OUT_OF_SCOPE else []
                for variant in [*own, *variants]:
                    key = normalize(_word(variant))
                    if mapping.get(key, canonical) != canonical:
                        raise ValueError(
                            f"synonym {variant!r} ({locale}) maps to both "
                            f"{mapping[key]!r} and {canonical!r}"
                        )
                    mapping[key] = canonical
            synonyms[locale] = mapping
        stopwords = {
            locale: frozenset(normalize(_word(w)) for w in raw_stopwords[locale])
            for locale in LOCALES
        }
        generic = {
            locale: frozenset(normalize(_word(w)) for w in raw_synonyms["generic"][locale])
            for locale in LOCALES
        }
        weak = {
            locale: frozenset(normalize(_word(w)) for w in raw_synonyms["weak"][locale])
            for locale in LOCALES
        }
        terminal = {
            locale: frozenset(normalize(_word(w)) for w in raw_synonyms["terminal"][locale])
            for locale in LOCALES
        }
        lines = (directory / "userdict.txt").read_text(encoding="utf-8").splitlines()
        words = tuple(
            normalize(line.strip()) for line in lines if line.strip()[:1] not in {"", "#"}
        )
        pairs = (directory / "traditional.txt").read_text(encoding="utf-8").splitlines()
        simplified = {ord(p[0]): p[1] for p in pairs if len(p) == 2 and not p.startswith("#")}
        lines = (directory / "colloquial.txt").read_text(encoding="utf-8").splitlines()
        colloquial = sorted(
            (tuple(line.split("\t")) for line in lines if "\t" in line and line[:1] != "#"),
            key=lambda pair: -len(pair[0]),
        )
        return cls(
            synonyms=synonyms,
            stopwords=stopwords,
            generic=generic,
            weak=weak,
            terminal=terminal,
            words=words,
            simplified=simplified,
            colloquial=tuple(colloquial),
        )


class Speller:
    """Corrects misspelt English words towards the words the knowledge base uses."""

    def __init__(self, counts: Counter[str], protected: frozenset[str]) -> None:
        self._counts = counts
        self._protected = protected
        # Symmetric-delete index: words one deletion apart meet on a shared key, which
        # covers one insertion, deletion, substitution or swap of neighbouring letters.
        self._by_deletion: dict[str, list[str]] = {}
        for word in counts:
            if len(word) >= 4 and word.isalpha() and word not in protected:
                for key in (word, *_deletions(word)):
                    self._by_deletion.setdefault(key, []).append(word)

    def correct(self, term: str) -> str:
        """The most frequent known word one edit away, or the term itself."""
        # Short words flip meaning too easily ("rice" -> "price").
        if len(term) < 6 or not term.isalpha() or term in self._counts or term in self._protected:
            return term
        candidates = {
            word
            for key in (term, *_deletions(term))
            for word in self._by_deletion.get(key, ())
            # Typos rarely hit the first letter; requiring it keeps "iphone" from "phone".
            if word[0] == term[0]
        }
        return max(candidates, key=lambda w: (self._counts[w], w)) if candidates else term


def _word(value: object) -> str:
    # YAML turns a bare on/off/yes/no into a boolean; fail loudly instead of indexing "true".
    if not isinstance(value, str):
        raise ValueError(f"lexicon word {value!r} is not a string; quote it")
    return value


def _deletions(word: str) -> Iterable[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
