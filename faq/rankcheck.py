"""A ranking measure no evaluation set feeds: each phrasing asked of an index without it.

The knowledge base's phrasings are split into folds (by a hash of the phrasing); for each
fold the index is built without that fold's phrasings and every one of them is asked. The
share whose own entry ranks first is the leave-phrasings-out ranking, used to judge a
change to the ranking (faq/README.md) beside the calibration's held-apart top-1.
"""

from __future__ import annotations

import hashlib

from faq.knowledge import LOCALES, KnowledgeBase
from faq.retrieval import FaqIndex
from faq.scoring import Calibration

FOLDS = 5


def leave_phrasings_out(kb: KnowledgeBase, calibration: Calibration | None = None) -> float:
    """Share of phrasings whose entry ranks first when the index is built without them."""
    asked = first = 0
    for fold in range(FOLDS):
        kept, held = [], []
        for entry in kb.entries:
            questions = {}
            for locale in LOCALES:
                phrasings = entry.questions.get(locale, [])
                questions[locale] = [q for q in phrasings if _fold(q) != fold]
                held += [(q, locale, entry.id) for q in phrasings if _fold(q) == fold]
            kept.append(entry.model_copy(update={"questions": questions}))
        kept_kb = KnowledgeBase(entries=kept)
        index = FaqIndex.build(kept_kb, calibration=calibration, abstainer=None, classifier=None)
        for question, locale, expected in held:
            answer = index.ask(question, locale)
            asked += 1
            first += answer.best is not None and answer.best.id == expected
    return first / asked if asked else 0.0


def _fold(phrasing: str) -> int:
    return int(hashlib.sha256(phrasing.encode()).hexdigest(), 16) % FOLDS
