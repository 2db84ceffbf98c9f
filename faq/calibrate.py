"""Choose the abstention thresholds from data: `merchant-bot faq calibrate`.

The calibration questions are the shared dev set plus our own paraphrases, hard
off-topic questions and conversational questions (tests/faq). The held-out set
(faq/eval/heldout.yaml) is never read here: it only measures the result. Each question is
scored once per setting of the query-time weights with every threshold at zero; then a
grid search picks the thresholds that maximise the balanced rate (top-1 on answerable
questions and abstention on off-topic ones, averaged) while at least MIN_ABSTENTION of
the off-topic questions abstain.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from faq.evaluate import EvalQuestion, load_questions
from faq.knowledge import KnowledgeBase
from faq.retrieval import Calibration, FaqIndex

TESTS_DIR = Path(__file__).resolve().parents[1] / "tests" / "faq"
CALIBRATION_FILES = (
    TESTS_DIR / "paraphrases.yaml",
    TESTS_DIR / "off_topic.yaml",
    TESTS_DIR / "conversational.yaml",
)
MIN_ABSTENTION = 0.95
_HINTS = {"zh": "zh-CN", "en": "en"}
# Reasons that abstain whatever the thresholds.
_ALWAYS_ABSTAIN = frozenset({"no_terms", "out_of_scope", "no_concept"})

# Index-time weight (one build each), then query-time weights (one scoring pass each).
UNKNOWN_WEIGHTS = (0.7, 0.9)
CHAR_WEIGHTS = (0.2, 0.3, 0.4)
SPAN_RANK_WEIGHTS = (0.0, 0.5)
UNKNOWN_POWERS = (0.75, 0.5)
OWNER_WEIGHTS = (0.0, 0.1, 0.2)
# Thresholds, searched on the scored questions.
MIN_SCORES = tuple(round(0.16 + 0.02 * i, 2) for i in range(20))
MIN_COVERAGES = tuple(round(0.2 + 0.05 * i, 2) for i in range(8))
MIN_MARGINS = (0.0, 0.01, 0.02, 0.03)
MIN_EVIDENCES = (99.0, 3.0, 4.0, 5.0, 6.0, 7.0)
MIN_CONCEPT_COVERAGES = (0.6, 0.8, 1.0)
MIN_EVIDENCE_SCORES = (0.1, 0.14, 0.18, 0.22)
MIN_OWNEDS = (9.0, 0.5, 0.7, 1.0)  # 9.0: the owner rule off
MIN_OWNED_SCORES = (0.12, 0.16, 0.2)


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
    """Grid-search the query-time weights and the thresholds on these files."""
    questions = [q for path in files for q in load_questions(path)]
    base = index.calibration
    best: CalibrationResult | None = None
    try:
        for char_weight, span_rank_weight, unknown_power, owner_weight in itertools.product(
            CHAR_WEIGHTS, SPAN_RANK_WEIGHTS, UNKNOWN_POWERS, OWNER_WEIGHTS
        ):
            weights = {
                "char_weight": char_weight,
                "span_rank_weight": span_rank_weight,
                "unknown_power": unknown_power,
                "owner_weight": owner_weight,
            }
            index.calibration = base.model_copy(
                update=weights | {"min_score": 0.0, "min_coverage": 0.0, "min_margin": -1.0}
            )
            scored = _Scored.of(index, questions)
            for thresholds, top1, abstention in scored.search():
                if best is None or top1 + abstention > best.top1 + best.abstention:
                    chosen = base.model_copy(update=weights | thresholds)
                    best = CalibrationResult(chosen, top1, abstention, len(questions))
    finally:
        index.calibration = base
    if best is None:
        raise ValueError(f"no thresholds abstain on {MIN_ABSTENTION:.0%} of off-topic questions")
    return best


class _Scored(NamedTuple):
    """Every question's features as arrays, so each threshold setting is a few vector ops."""

    off_topic: np.ndarray  # expects an abstention
    right: np.ndarray  # the expected entry ranked first
    gated: np.ndarray  # abstains whatever the thresholds
    score: np.ndarray
    coverage: np.ndarray
    margin: np.ndarray
    evidence: np.ndarray
    concept_coverage: np.ndarray
    owned: np.ndarray

    @classmethod
    def of(cls, index: FaqIndex, questions: list[EvalQuestion]) -> _Scored:
        rows = []
        for question in questions:
            answer = index.ask(question.q, _HINTS[question.lang])
            best = answer.candidates[0].id if answer.candidates else None
            rows.append(
                (
                    question.expect is None,
                    best is not None and best == question.expect,
                    answer.reason in _ALWAYS_ABSTAIN or best is None,
                    answer.score,
                    answer.coverage,
                    answer.margin,
                    answer.evidence,
                    answer.concept_coverage,
                    answer.owned,
                )
            )
        return cls(*(np.asarray(column) for column in zip(*rows, strict=True)))

    def search(self) -> Iterator[tuple[dict[str, float], float, float]]:
        """Every threshold setting that abstains enough: (thresholds, top1, abstention)."""
        answerable = max(int((~self.off_topic).sum()), 1)
        off_topic = max(int(self.off_topic.sum()), 1)
        open_ = ~self.gated
        pairs = list(itertools.product(MIN_SCORES, MIN_COVERAGES))
        # One row per (min_score, min_coverage): the questions the score rule lets through.
        by_score = np.stack([(self.score >= s) & (self.coverage >= c) for s, c in pairs])
        wanted = ~self.off_topic & self.right
        for min_margin in MIN_MARGINS:
            margin_ok = open_ & (self.margin >= min_margin)
            for evidence_rule, owned_rule in itertools.product(
                itertools.product(MIN_EVIDENCES, MIN_CONCEPT_COVERAGES, MIN_EVIDENCE_SCORES),
                itertools.product(MIN_OWNEDS, MIN_OWNED_SCORES),
            ):
                min_evidence, min_concept_coverage, min_evidence_score = evidence_rule
                min_owned, min_owned_score = owned_rule
                other = (
                    (self.evidence >= min_evidence)
                    & (self.concept_coverage >= min_concept_coverage)
                    & (self.score >= min_evidence_score)
                ) | ((self.owned >= min_owned) & (self.score >= min_owned_score))
                answers = margin_ok & (by_score | other)
                abstentions = (self.off_topic & ~answers).sum(axis=1) / off_topic
                hits = (wanted & answers).sum(axis=1) / answerable
                for row in np.flatnonzero(abstentions >= MIN_ABSTENTION):
                    min_score, min_coverage = pairs[row]
                    thresholds = {
                        "min_score": min_score,
                        "min_coverage": min_coverage,
                        "min_margin": min_margin,
                        "min_evidence": min_evidence,
                        "min_concept_coverage": min_concept_coverage,
                        "min_evidence_score": min_evidence_score,
                        "min_owned": min_owned,
                        "min_owned_score": min_owned_score,
                    }
                    yield thresholds, float(hits[row]), float(abstentions[row])
