"""The learned answer/abstain decision: a small logistic regression over the top candidate.

`merchant-bot faq calibrate` fits it (numpy only) on the calibration questions and writes
faq/lexicon/abstain.json; FaqIndex.build loads that file. Each feature describes how the
best-ranked entry fits the question; the model says how likely that entry is the right
answer, and the index answers when the probability reaches `threshold`. See faq/README.md
("Abstention") for the features and how to retrain.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "lexicon" / "abstain.json"

# The features, in the model's order (FaqIndex.ask computes them; see faq/README.md).
FEATURES = (
    "score",  # fused, normalised BM25 score of the best entry (best over clause runs)
    "margin",  # its lead over the runner-up
    "coverage",  # share of the question's IDF weight the entry's words cover
    "concept_coverage",  # share of the question's concepts (synonyms.yaml) the entry shares
    "evidence",  # log(1 + IDF weight of those shared concepts)
    "unknown_share",  # share of the question's terms the knowledge base never uses
    "clauses",  # log(1 + number of clauses)
    "terms",  # log(1 + number of analysed terms)
    "strong_concept",  # 1 when a shared concept is not a weak one (卡, "call")
    "agree",  # 1 when word BM25 and character n-grams rank the same entry first
    "owned",  # share of the question's concepts this entry owns
    "cued",  # 1 when a question-type cue lifted this entry over a neighbour (faq/cues.py)
    "has_concept",  # 1 when the entry shares a topic word with the question (the gate)
    # The topic classifier's log-probability of the entry and of "none of them"; an index
    # without the classifier leaves both at their mean (no evidence either way).
    "topic_probability",
    "none_probability",
)


@dataclass(frozen=True)
class AbstainModel:
    """Standardised logistic regression: p = sigmoid(bias + weights · (x - mean) / scale)."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float
    features: tuple[str, ...] = FEATURES
    notes: dict[str, object] = field(default_factory=dict)
    # The bar for a question that shares no topic word with the entry (None: never
    # answered): above every held-apart probability of such an off-topic question.
    no_concept_threshold: float | None = None

    def probability(self, values: dict[str, float]) -> float:
        """How likely the best-ranked entry is the right answer."""
        z = self.bias
        for name, w, m, s in zip(self.features, self.weights, self.mean, self.scale, strict=True):
            z += w * (values.get(name, m) - m) / s
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def answers(self, values: dict[str, float]) -> bool:
        return self.probability(values) >= self.threshold

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AbstainModel | None:
        """The stored model, or None when calibrate has not written one yet."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            weights=tuple(data["weights"]),
            bias=float(data["bias"]),
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            threshold=float(data["threshold"]),
            features=tuple(data["features"]),
            notes=dict(data.get("notes", {})),
            no_concept_threshold=data.get("no_concept_threshold"),
        )

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "mean": [round(m, 6) for m in self.mean],
            "scale": [round(s, 6) for s in self.scale],
            "threshold": round(self.threshold, 6),
            "no_concept_threshold": (
                None if self.no_concept_threshold is None else round(self.no_concept_threshold, 6)
            ),
            "notes": self.notes,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def feature_matrix(rows: list[dict[str, float]]) -> np.ndarray:
    return np.asarray([[row.get(name, 0.0) for name in FEATURES] for row in rows], dtype=np.float64)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Newton's method on the L2-penalised log-loss, classes weighted to balance.

    Returns (weights, bias, mean, scale) for standardised features.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    design = np.hstack([np.ones((len(z), 1)), z])
    positives = max(float(y.sum()), 1.0)
    negatives = max(float(len(y) - y.sum()), 1.0)
    sample = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0  # the bias is not penalised
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (sample * (p - y)) + penalty * beta
        hessian = (design * (sample * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[1:], float(beta[0]), mean, scale


def predict(x: np.ndarray, weights: np.ndarray, bias: float, mean: np.ndarray, scale: np.ndarray):
    z = bias + ((x - mean) / scale) @ weights
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
