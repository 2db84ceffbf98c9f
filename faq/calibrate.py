"""Choose the abstention thresholds from data: `merchant-bot faq calibrate`.

The calibration questions are the shared dev set plus our own paraphrases and hard
off-topic questions (tests/faq). The held-out set (faq/eval/heldout.yaml) is never read
here: it only measures the result. Each question is scored once with every threshold at
zero; then a grid search picks the thresholds that maximise the balanced rate (top-1 on
answerable questions and abstention on off-topic ones, averaged) while at least
MIN_ABSTENTION of the off-topic questions abstain.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import NamedTuple

from faq.evaluate import EvalQuestion, load_questions
from faq.knowledge import KnowledgeBase
from faq.retrieval import Calibration, FaqIndex

TESTS_DIR = Path(__file__).resolve().parents[1] / "tests" / "faq"
CALIBRATION_FILES = (TESTS_DIR / "paraphrases.yaml", TESTS_DIR / "off_topic.yaml")
MIN_ABSTENTION = 0.95
_HINTS = {"zh": "zh-CN", "en": "en"}
# Reasons that abstain whatever the thresholds.
_ALWAYS_ABSTAIN = frozenset({"no_terms", "out_of_scope", "no_concept"})

UNKNOWN_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)
CHAR_WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5)
MIN_SCORES = tuple(round(0.16 + 0.02 * i, 2) for i in range(15))
MIN_COVERAGES = tuple(round(0.2 + 0.05 * i, 2) for i in range(8))
MIN_MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)


class _Scored(NamedTuple):
    expect: str | None
    best: str | None
    gated: bool  # abstains whatever the thresholds
    score: float
    coverage: float
    margin: float


class CalibrationResult(NamedTuple):
    """The chosen calibration and how it does on the calibration questions."""

    calibration: Calibration
    top1: float
    abstention: float
    questions: int


def calibrate_all(kb: KnowledgeBase, files: list[Path]) -> CalibrationResult:
    """Also choose unknown_weight, which changes the index itself: one build per value."""
    results = [
        calibrate(FaqIndex.build(kb, calibration=Calibration(unknown_weight=weight)), files)
        for weight in UNKNOWN_WEIGHTS
    ]
    return max(results, key=lambda r: r.top1 + r.abstention)


def calibrate(index: FaqIndex, files: list[Path]) -> CalibrationResult:
    """Grid-search char_weight, min_score, min_coverage and min_margin on these files."""
    questions = [q for path in files for q in load_questions(path)]
    base = index.calibration
    best: CalibrationResult | None = None
    try:
        for char_weight in CHAR_WEIGHTS:
            index.calibration = base.model_copy(
                update={"char_weight": char_weight, "min_score": 0.0, "min_coverage": 0.0}
                | {"min_margin": -1.0}
            )
            scored = [_score(index, q) for q in questions]
            for min_score, min_coverage, min_margin in itertools.product(
                MIN_SCORES, MIN_COVERAGES, MIN_MARGINS
            ):
                top1, abstention = _rates(scored, min_score, min_coverage, min_margin)
                if abstention < MIN_ABSTENTION:
                    continue
                if best is None or top1 + abstention > best.top1 + best.abstention:
                    chosen = base.model_copy(
                        update={
                            "char_weight": char_weight,
                            "min_score": min_score,
                            "min_coverage": min_coverage,
                            "min_margin": min_margin,
                        }
                    )
                    best = CalibrationResult(chosen, top1, abstention, len(questions))
    finally:
        index.calibration = base
    if best is None:
        raise ValueError(f"no thresholds abstain on {MIN_ABSTENTION:.0%} of off-topic questions")
    return best


def _score(index: FaqIndex, question: EvalQuestion) -> _Scored:
    answer = index.ask(question.q, _HINTS[question.lang])
    best = answer.candidates[0].id if answer.candidates else None
    gated = answer.reason in _ALWAYS_ABSTAIN or best is None
    return _Scored(question.expect, best, gated, answer.score, answer.coverage, answer.margin)


def _rates(
    scored: list[_Scored], min_score: float, min_coverage: float, min_margin: float
) -> tuple[float, float]:
    correct = answerable = abstained = off_topic = 0
    for s in scored:
        answers = not s.gated and (
            s.score >= min_score and s.coverage >= min_coverage and s.margin >= min_margin
        )
        if s.expect is None:
            off_topic += 1
            abstained += not answers
        else:
            answerable += 1
            correct += answers and s.best == s.expect
    return correct / max(answerable, 1), abstained / max(off_topic, 1)
