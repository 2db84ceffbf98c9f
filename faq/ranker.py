"""A discriminative topic scorer fused with BM25: a ridge classifier over the KB's own texts.

BM25 weighs a word by how rare it is; it does not learn which words tell two neighbouring
topics apart ("撤销" the same day vs "退货" after settlement). This scorer does: a linear
model per topic, fitted at start-up on the knowledge base alone (titles, phrasings and
answers; never on evaluation questions), over sparse binary features of the analysed text
(words after synonym mapping, character n-grams, single Chinese characters).

It is kernel ridge regression onto one-hot topic targets (a least-squares linear SVM),
solved in closed form in the dual: with N training texts, A = (K + λ S⁻¹)⁻¹ Y where
K = X Xᵀ is N × N, then W = Xᵀ A gives one weight vector per topic. No iterations, pure
numpy, a few milliseconds per language; the weights (features × topics, float32) are all
it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Ridge penalty: larger spreads the weight over more features (smoother, less sure).
RIDGE = 1.0
# Sample weight of an answer relative to a phrasing: answers bring a topic's vocabulary
# (序列号 in the activation steps) but are written to explain, not to ask.
ANSWER_WEIGHT = 0.3
# Columns of X built at once when forming K (bounds the temporary dense block).
_BLOCK = 1024


def features(terms: list[str], grams: list[str]) -> list[str]:
    """The scorer's features of an analysed text: words, n-grams and Chinese characters."""
    out = [f"w{t}" for t in terms]
    out += [f"g{g}" for g in grams]
    out += [f"c{ch}" for g in grams for ch in g if not ch.isascii()]
    return list(dict.fromkeys(out))


@dataclass
class TopicScorer:
    """Per-topic linear weights over a fixed feature vocabulary."""

    vocabulary: dict[str, int]
    weights: np.ndarray  # (features, topics), float32

    @classmethod
    def fit(
        cls,
        docs: list[list[str]],
        labels: list[int],
        sample_weights: list[float],
        n_topics: int,
        ridge: float = RIDGE,
    ) -> TopicScorer:
        """Fit on feature lists (see `features`), each the text of topic labels[i]."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for row, doc in enumerate(docs):
            for feature in doc:
                rows.append(row)
                cols.append(vocabulary.setdefault(feature, len(vocabulary)))
        row_ix = np.asarray(rows, dtype=np.int64)
        col_ix = np.asarray(cols, dtype=np.int64)
        # Each text has unit length, so a long answer does not outweigh a short phrasing.
        lengths = np.bincount(row_ix, minlength=len(docs)).astype(np.float64)
        values = 1.0 / np.sqrt(np.maximum(lengths, 1.0))[row_ix]
        n = len(docs)
        kernel = np.zeros((n, n))
        for start in range(0, len(vocabulary), _BLOCK):
            inside = (col_ix >= start) & (col_ix < start + _BLOCK)
            block = np.zeros((n, _BLOCK))
            block[row_ix[inside], col_ix[inside] - start] = values[inside]
            kernel += block @ block.T
        targets = np.zeros((n, n_topics))
        targets[np.arange(n), labels] = 1.0
        regulariser = ridge / np.asarray(sample_weights, dtype=np.float64)
        dual = np.linalg.solve(kernel + np.diag(regulariser), targets)
        weights = np.zeros((len(vocabulary), n_topics))
        np.add.at(weights, col_ix, values[:, None] * dual[row_ix])
        return cls(vocabulary=vocabulary, weights=weights.astype(np.float32))

    def scores(self, feats: list[str]) -> np.ndarray:
        """Each topic's score for a text's features (unit length over the known ones)."""
        known = [self.vocabulary[f] for f in feats if f in self.vocabulary]
        if not known:
            return np.zeros(self.weights.shape[1], dtype=np.float32)
        return self.weights[known].sum(axis=0) / np.sqrt(len(known))
