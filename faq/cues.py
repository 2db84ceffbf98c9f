"""Question-type cues between confusable neighbours (lexicon/cues.yaml): a small re-ranking.

Word and character BM25 rank a void and a refund question alike (both name the card, the
money and taking it back); what tells them apart is a cue of time or type ("刚刚", "昨天",
"after settlement"). A rule lifts its favoured topic only when that topic and one it is
confused with are both among the leading candidates, so it re-orders neighbours and never
brings in a topic the question's words did not rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.knowledge import LOCALES, Locale, read_yaml
from faq.scoring import Calibration
from faq.vocabulary import LEXICON_DIR

CUES_PATH = LEXICON_DIR / "cues.yaml"


@dataclass(frozen=True)
class CueRule:
    favour: str
    over: frozenset[str]
    patterns: dict[Locale, re.Pattern[str] | None]


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


def cue_lifts(
    rules: list[CueRule], text: str, language: Locale, leading: list[str]
) -> dict[str, float]:
    """Topic id -> number of rules lifting it; leading: the leading candidates' ids, best first.

    A rule applies only when the best candidate is one it is confused with and its own
    topic is among the others: it can overturn a close call, not widen a lead.
    """
    lifts: dict[str, float] = {}
    if not leading:
        return lifts
    for rule in rules:
        pattern = rule.patterns.get(language)
        if pattern is None or leading[0] not in rule.over or rule.favour not in leading[1:]:
            continue
        if pattern.search(text):
            lifts[rule.favour] = lifts.get(rule.favour, 0.0) + 1.0
    return lifts


def rerank(
    rules: list[CueRule],
    ranking: np.ndarray,
    ids: list[str],
    text: str,
    language: Locale,
    calibration: Calibration,
) -> tuple[np.ndarray, dict[str, float]]:
    """The entries' order after the cues' lifts (ranking is lifted in place), and the lifts."""
    order = np.argsort(-ranking, kind="stable")
    if not calibration.cue_weight or not rules:
        return order, {}
    leading = order[: calibration.cue_candidates]
    lifts = cue_lifts(rules, text, language, [ids[i] for i in leading])
    if not lifts:
        return order, lifts
    for i in leading:
        ranking[i] += calibration.cue_weight * lifts.get(ids[i], 0.0)
    return np.argsort(-ranking, kind="stable"), lifts
