"""The topic classifier: which entry a question is about, or none, learned from labelled questions.

BM25 (faq/scoring.py) matches a question against the knowledge base's own phrasings; it
misses wording no phrasing anticipated. The classifier learns instead from every labelled
question the project has: the knowledge base's phrasings and titles, the shared dev set,
the calibration questions (tests/faq) and the training sets (faq/train/), several
thousand questions in both languages written by different people, including hundreds of
off-topic ones labelled "none". It is a multinomial logistic regression over the same
analysis the index uses (canonical terms after synonyms, and character n-grams), one class
per entry plus `NONE`.

`merchant-bot faq calibrate` trains it (scikit-learn, a dev dependency) and writes
faq/lexicon/classifier.npz; at run time only numpy is needed: a question's logits are the
intercepts plus the rows of its known features. Features are kept as sorted 64-bit digests
(`key`), not strings, and the weights in half precision: about 1.2 MB in memory. The held-out
sets (faq/eval/) are never trained on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "lexicon" / "classifier.npz"
NONE = "__none__"  # the class of questions no entry answers
# Inverse L2 strength, chosen by leave-one-set-out accuracy over the training questions
# (faq/README.md, eighteenth round).
C = 10.0
_WORD, _GRAM = "w:", "g:"


def features(terms: Iterable[str], grams: Iterable[str]) -> list[str]:
    """The classifier's binary features of an analysed question."""
    return list(dict.fromkeys([*(_WORD + t for t in terms), *(_GRAM + g for g in grams)]))


def key(feature: str) -> int:
    """A feature's stable 64-bit digest (Python's hash() changes from process to process)."""
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class TopicClassifier:
    """Class probabilities of a question from its analysed terms and character n-grams."""

    classes: tuple[str, ...]  # entry ids and NONE
    keys: np.ndarray  # (features,) uint64, sorted: `key` of each feature
    weights: np.ndarray  # (features, classes), float16, rows in `keys` order
    intercepts: np.ndarray  # (classes,) float32
    fingerprint: str = ""  # of the training examples (see `fingerprint`)

    def probabilities(self, terms: Sequence[str], grams: Sequence[str]) -> np.ndarray:
        """Softmax over `classes`; features never seen in training are ignored."""
        wanted = np.fromiter((key(f) for f in features(terms, grams)), dtype=np.uint64)
        rows = np.searchsorted(self.keys, wanted)
        found = rows < len(self.keys)
        found[found] = self.keys[rows[found]] == wanted[found]
        rows = rows[found]
        logits = self.intercepts + self.weights[rows].sum(axis=0, dtype=np.float32)
        logits = logits - logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def knows(self, ids: Iterable[str]) -> bool:
        """Whether every entry id is one of the classes (the KB has not grown since training)."""
        return set(ids) <= set(self.classes)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TopicClassifier | None:
        """The stored classifier, or None when calibrate has not written one."""
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            return cls(
                classes=tuple(str(c) for c in data["classes"]),
                keys=data["keys"],
                weights=data["weights"],
                intercepts=data["intercepts"].astype(np.float32),
                fingerprint=str(data["fingerprint"]) if "fingerprint" in data else "",
            )

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(
            path,
            classes=np.asarray(self.classes),
            keys=self.keys,
            weights=self.weights,
            intercepts=self.intercepts,
            fingerprint=np.asarray(self.fingerprint),
        )


def fingerprint(examples: Sequence[tuple[list[str], str | None]]) -> str:
    """A digest of the training examples: a stored model trained on other data is stale."""
    return hashlib.sha256(json.dumps(list(examples), ensure_ascii=False).encode()).hexdigest()


def train(examples: Sequence[tuple[list[str], str | None]], c: float = C) -> TopicClassifier:
    """Fit on (features, entry id or None) pairs; needs scikit-learn (`pip install -e '.[dev]'`)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer(dtype=np.float32)
    x = vectorizer.fit_transform([dict.fromkeys(names, 1.0) for names, _ in examples])
    y = [label or NONE for _, label in examples]
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, y)
    keys = np.asarray([key(name) for name in vectorizer.feature_names_], dtype=np.uint64)
    order = np.argsort(keys)
    if len(np.unique(keys)) != len(keys):
        raise ValueError("two features share a 64-bit digest")  # about 1 in 10^10 here
    return TopicClassifier(
        classes=tuple(str(c) for c in model.classes_),
        keys=keys[order],
        weights=np.ascontiguousarray(model.coef_.T[order], dtype=np.float16),
        intercepts=model.intercept_.astype(np.float32),
        fingerprint=fingerprint(examples),
    )
