"""Question-type cues between confusable neighbours (lexicon/cues.yaml), found in a question.

Word and character BM25 rank a void and a refund question alike (both name the card, the
money and taking it back); what tells them apart is a cue of time or type ("刚刚", "昨天",
"after settlement"). A rule lifts its favoured topic only when that topic and one it is
confused with are both among the leading candidates, so it re-orders neighbours and never
brings in a topic the question's words did not rank. The cues are found here before the
question is scored; the lift itself is ranking arithmetic (faq/scoring.py lift_cued).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from faq.knowledge import LOCALES, Locale, read_yaml
from faq.vocabulary import LEXICON_DIR

CUES_PATH = LEXICON_DIR / "cues.yaml"


@dataclass(frozen=True)
class CueRule:
    favour: str
    over: frozenset[str]
    patterns: dict[Locale, re.Pattern[str] | None]


Cue = tuple[str, frozenset[str]]  # a matched rule: the topic it favours, those it is confused with


def load_cues(path: Path = CUES_PATH) -> list[CueRule]:
    rules = []
    for item in read_yaml(path) or []:
        patterns: dict[Locale, re.Pattern[str] | None] = {}
        for locale in LOCALES:
            cues = sorted((str(c).lower() for c in item.get(locale, [])), key=len, reverse=True)
            if not cues:
                patterns[locale] = None
            elif locale == "zh-CN":
                patterns[locale] = re.compile("|".join(map(re.escape, cues)))
            else:
                patterns[locale] = re.compile(r"\b(?:" + "|".join(map(re.escape, cues)) + r")\b")
        rules.append(CueRule(item["favour"], frozenset(item["over"]), patterns))
    return rules


def matching(rules: list[CueRule], text: str, language: Locale) -> list[Cue]:
    """The rules whose cue the question (normalised) carries, as (favour, over) pairs: read
    before the question is ranked; the ranking decides which of them apply (retrieval.py
    _lift: only between neighbours both among the leading candidates)."""
    found = []
    for rule in rules:
        pattern = rule.patterns.get(language)
        if pattern is not None and pattern.search(text):
            found.append((rule.favour, rule.over))
    return found
