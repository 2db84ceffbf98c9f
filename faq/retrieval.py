"""Find the FAQ entry that answers a merchant's question, or abstain when none does."""

from __future__ import annotations

import logging
import math
import re
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from faq.abstain import AbstainModel
from faq.analysis import Analyzer, detect_language
from faq.classifier import NONE, TopicClassifier
from faq.cues import CueRule, load_cues, matching
from faq.homophones import Homophones, build_homophones
from faq.knowledge import LOCALES, FaqEntry, KnowledgeBase, Locale
from faq.scoring import Calibration, LanguageIndex, entry_texts, index_language, lift_cued
from faq.vocabulary import OUT_OF_SCOPE, Lexicon, Speller

_log = logging.getLogger(__name__)

Reason = Literal["confident", "no_terms", "out_of_scope", "no_concept", "low_confidence"]

# Longer messages are pasted documents or chat logs, not questions; cap the work per ask.
_MAX_QUESTION_CHARS = 500
# Where a chatty question splits into clauses: "我是开超市的，昨天顾客刷卡买了东西，怎么退".
_CLAUSE_BREAK = re.compile(r"[，,。.!！?？;；:：、\n()（）\[\]【】\-–—~～…]+")
# On a phone, Chinese is often punctuated with spaces: "上周刷卡买的衣服 顾客要退 怎么退款".
_ZH_SPACE_BREAK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
# Scoring every run of clauses costs n(n+1)/2 lookups; keep the last few clauses.
_MAX_CLAUSES = 6
# Topic words shared with the best entry that overrule another product's name.
_OUT_OF_SCOPE_OVERRULED = 2


class FaqAnswer(BaseModel):
    """The outcome of one question: the entry when confident, candidates either way."""

    model_config = ConfigDict(frozen=True)

    entry: FaqEntry | None
    candidates: list[FaqEntry]
    candidate_scores: list[float] = []  # the candidates' blended scores, same order
    language: Locale
    score: float  # blended, normalised score of the best entry
    margin: float  # best score minus the runner-up's
    coverage: float  # share of the question's weight that the best entry's words cover
    # IDF weight of the topic words (concepts) the question shares with the best entry,
    # and its share of all the concepts the question names: evidence that, unlike the
    # score, does not shrink when the question comes wrapped in context.
    evidence: float = 0.0
    concept_coverage: float = 0.0
    owned: float = 0.0  # share of the question's concepts that the best entry owns
    # The abstention model's inputs and its probability that the best entry is right.
    features: dict[str, float] = {}
    probability: float = 0.0
    best: FaqEntry | None = None  # the best-ranked entry, whatever the decision
    terms: list[str]  # the question as analysed, for diagnostics
    reason: Reason

    @property
    def confident(self) -> bool:
        """Whether the index is sure enough to answer directly."""
        return self.entry is not None


class FaqIndex:
    """BM25 over each entry's title and phrasings, per language, with calibrated abstention."""

    def __init__(
        self,
        languages: dict[Locale, LanguageIndex],
        analyzer: Analyzer,
        speller: Speller,
        calibration: Calibration,
        abstainer: AbstainModel | None = None,
        homophones: Homophones | None = None,
        cues: list[CueRule] | None = None,
        classifier: TopicClassifier | None = None,
    ) -> None:
        self._languages = languages
        self._analyzer = analyzer
        self._speller = speller
        self._homophones = homophones
        self._cues = cues or []
        self._concepts = {locale: analyzer.lexicon.concepts(locale) for locale in LOCALES}
        self.calibration = calibration
        # None: answer whenever a shared concept passes the gates (calibrate fits on that).
        self.abstainer = abstainer
        # The topic classifier (when it knows every entry) ranks with BM25 and informs the
        # abstention model above; without it BM25 ranks alone.
        self.classifier = classifier
        classes = classifier.classes if classifier else ()
        self._class_positions = {name: i for i, name in enumerate(classes)}

    @classmethod
    def build(
        cls,
        kb: KnowledgeBase,
        *,
        calibration: Calibration | None = None,
        lexicon: Lexicon | None = None,
        abstainer: AbstainModel | Literal["stored"] | None = "stored",
        classifier: TopicClassifier | Literal["stored"] | None = "stored",
    ) -> FaqIndex:
        """Index a knowledge base; done once at start-up.

        abstainer: the answer/abstain model; by default the one calibrate stored in
        faq/lexicon/abstain.json, None to answer whenever the gates let a question through.
        classifier: the topic classifier (faq/classifier.py); by default the one calibrate
        stored, used only when it knows every entry (None: BM25 and the abstainer alone).
        """
        calibration = calibration or Calibration()
        analyzer = Analyzer(lexicon or Lexicon.load())
        languages = {
            locale: index_language(kb, locale, analyzer, calibration)
            for locale in LOCALES
            if any(entry.questions.get(locale) for entry in kb.entries)
        }
        speller = analyzer.speller(
            text for entry in kb.entries for text in entry_texts(entry, "en")
        )
        if abstainer == "stored":
            abstainer = AbstainModel.load()
        zh_texts = (text for entry in kb.entries for text in entry_texts(entry, "zh-CN"))
        homophones = build_homophones(zh_texts, analyzer)
        cues = load_cues()
        if classifier == "stored":
            classifier = TopicClassifier.load()
        if classifier is not None and not classifier.knows(entry.id for entry in kb.entries):
            # An entry added since the last `faq calibrate`: the classifier would never pick it.
            _log.warning("the topic classifier predates the knowledge base; run faq calibrate")
            classifier = None
        return cls(
            languages, analyzer, speller, calibration, abstainer, homophones, cues, classifier
        )

    def with_models(
        self, abstainer: AbstainModel | None, classifier: TopicClassifier | None
    ) -> FaqIndex:
        """The same index with other models (calibrate tries many without re-indexing)."""
        return FaqIndex(
            self._languages,
            self._analyzer,
            self._speller,
            self.calibration,
            abstainer,
            self._homophones,
            self._cues,
            classifier,
        )

    def ask(self, question: str, locale_hint: str | None = None) -> FaqAnswer:
        """Answer a free-text question; the language comes from the text, the hint breaks ties."""
        language, question, terms, grams = self.analyse(question, locale_hint)
        index = self._languages.get(language)
        if not terms or index is None:
            return FaqAnswer(
                entry=None,
                candidates=[],
                language=language,
                score=0.0,
                margin=0.0,
                coverage=0.0,
                terms=terms,
                reason="no_terms",
            )
        cal = self.calibration
        cued = matching(self._cues, self._analyzer.normalize(question, language), language)
        concepts = self._concepts[language]
        named = [t for t in terms if t in concepts]
        named_weight = index.topics.weight(named)
        owned = np.zeros(len(index.entries), dtype=np.float32)
        for term in named:
            if term in index.owners_of:
                owned[index.owners_of[term]] += index.topics.weight([term])
        if named_weight:
            owned /= named_weight
        scores, word_scores, char_scores = index.parts(terms, grams, cal)
        # Chatty questions put context before the question ("我是开超市的，…，怎么退"):
        # the words of the context are unknown to the knowledge base and dilute the
        # normalised score. Each run of clauses is scored on its own too, and an entry
        # keeps its best score over the whole question and every run.
        confidence = scores.copy()
        spans = self._spans(question, language)
        for span_terms, span_grams in spans:
            np.maximum(confidence, index.scores(span_terms, span_grams, cal), out=confidence)
        ranking = (1 - cal.span_rank_weight) * scores + cal.span_rank_weight * confidence
        ranking = ranking + cal.owner_weight * owned
        ids = [entry.id for entry in index.entries]
        topic = self._topic_probabilities(terms, grams, ids)
        if topic is not None:
            # The classifier learned from thousands of labelled questions; BM25 adds what the
            # knowledge base's own phrasings say (Calibration.bm25_weight).
            ranking = np.log(topic[0] + 1e-9) + cal.bm25_weight * ranking
        # Confusable neighbours (a void and a refund): a cue of time or type decides.
        order, lifted = lift_cued(cued, ranking, ids, cal, fused=topic is not None)
        best = int(order[0])
        top = float(confidence[best])
        margin = float(ranking[best] - ranking[order[1]]) if len(order) > 1 else top
        coverage = max(
            index.coverage(best, t, cal.unknown_power) for t in [terms, *(t for t, _ in spans)]
        )
        vocabularies = index.vocabularies
        if cal.answer_concepts and index.coverage_vocabularies is not None:
            vocabularies = index.coverage_vocabularies  # the phrasings' and the answer's words
        shared = [t for t in named if t in vocabularies[best]]
        evidence = index.topics.weight(shared)
        concept_coverage = evidence / named_weight if named_weight else 0.0
        lexicon = self._analyzer.lexicon
        # Weak concepts ("call", 卡) are evidence only beside the terminal or a strong one.
        in_context = not lexicon.terminal[language].isdisjoint(terms) or any(
            t not in lexicon.weak[language] for t in named
        )
        has_concept = any(t not in lexicon.weak[language] for t in shared) or (
            bool(shared) and in_context
        )
        # Word BM25 and character n-grams both put the best entry first.
        agree = int(np.argmax(word_scores)) == best and (
            char_scores is None or int(np.argmax(char_scores)) == best
        )
        features = {
            "score": top,
            "margin": margin,
            "coverage": coverage,
            "concept_coverage": concept_coverage,
            "evidence": math.log1p(evidence),
            "unknown_share": sum(t not in index.topics.idf for t in terms) / len(terms),
            "clauses": math.log1p(
                min(max(1, len(self._clauses(question, language))), _MAX_CLAUSES)
            ),
            "terms": math.log1p(len(terms)),
            "strong_concept": float(any(t not in lexicon.weak[language] for t in shared)),
            "agree": float(agree),
            "owned": float(owned[best]),
            "cued": float(lifted.get(ids[best], 0.0) > 0),
            "has_concept": float(has_concept),
        }
        if topic is not None:
            # The classifier's belief in the best entry and in "none of them": two more
            # inputs of the abstention model (fitted on held-apart classifiers, calibrate.py).
            features["topic_probability"] = math.log(float(topic[0][best]) + 1e-6)
            features["none_probability"] = math.log(topic[1] + 1e-6)
        probability = self.abstainer.probability(features) if self.abstainer else 1.0
        strong_shared = {t for t in shared if t not in lexicon.weak[language]}
        reason = self._judge(terms, has_concept, probability, len(strong_shared))
        scores = confidence
        # The leading candidates worth a "did you mean", and the answer itself whatever its
        # score (a cue can lift an entry over a neighbour that scored more).
        answered = reason == "confident"
        shown = [
            i for i in order[:3] if scores[i] >= cal.candidate_floor or (answered and i == best)
        ]
        return FaqAnswer(
            entry=index.entries[best] if reason == "confident" else None,
            candidates=[index.entries[i] for i in shown],
            candidate_scores=[round(float(scores[i]), 4) for i in shown],
            language=language,
            score=top,
            margin=margin,
            coverage=coverage,
            evidence=evidence,
            concept_coverage=concept_coverage,
            owned=float(owned[best]),
            features=features,
            probability=probability,
            best=index.entries[best],
            terms=terms,
            reason=reason,
        )

    def analyse(
        self, question: str, locale_hint: str | None = None
    ) -> tuple[Locale, str, list[str], list[str]]:
        """The question's language, its text as scored, its terms and its character n-grams."""
        language = detect_language(question, _as_locale(locale_hint))
        question = question[:_MAX_QUESTION_CHARS]
        if language == "zh-CN" and self._homophones is not None:
            question = self._homophones.fix(self._analyzer.normalize(question, language))
        analysed = self._analyzer.analyze(question, language, self._speller)
        terms = list(dict.fromkeys(analysed))
        grams = list(dict.fromkeys(self._analyzer.char_grams(question, language)))
        return language, question, terms, grams

    def _spans(self, question: str, language: Locale) -> list[tuple[list[str], list[str]]]:
        """Terms and n-grams of every run of consecutive clauses shorter than the question."""
        clauses = self._clauses(question, language)[-_MAX_CLAUSES:]
        if len(clauses) < 2:
            return []
        spans = []
        for start in range(len(clauses)):
            for end in range(start + 1, len(clauses) + 1):
                if end - start == len(clauses):
                    continue
                text = " ".join(clauses[start:end])
                terms = list(dict.fromkeys(self._analyzer.analyze(text, language, self._speller)))
                if terms:
                    grams = list(dict.fromkeys(self._analyzer.char_grams(text, language)))
                    spans.append((terms, grams))
        return spans

    @staticmethod
    def _clauses(question: str, language: Locale) -> list[str]:
        if language == "zh-CN":
            question = _ZH_SPACE_BREAK.sub("，", question.strip())
        return [c for c in _CLAUSE_BREAK.split(question) if c.strip()]

    def _topic_probabilities(
        self, terms: list[str], grams: list[str], ids: list[str]
    ) -> tuple[np.ndarray, float] | None:
        """The classifier's probability of each entry (in `ids` order) and of none."""
        if self.classifier is None:
            return None
        probabilities = self.classifier.probabilities(terms, grams)
        position = self._class_positions
        entries = np.asarray([probabilities[position[i]] for i in ids], dtype=np.float64)
        return entries, float(probabilities[position[NONE]])

    def _judge(
        self, terms: list[str], has_concept: bool, probability: float, strong_shared: int
    ) -> Reason:
        # Another product named ("apply for a passport") abstains, unless the question also
        # shares two topic words with the entry ("verify my identity with a passport"): a
        # foreign merchant's passport is part of the application, not another service.
        if OUT_OF_SCOPE in terms and strong_shared < _OUT_OF_SCOPE_OVERRULED:
            return "out_of_scope"
        if not has_concept:
            # Sharing only "time" or "where" with an entry is little evidence of its topic:
            # such a question is answered only when the model is surer than it ever was of
            # an off-topic question sharing no concept (abstain.py, no_concept_threshold).
            bar = self.abstainer.no_concept_threshold if self.abstainer else None
            if bar is None or probability < bar:
                return "no_concept"
            return "confident"
        if self.abstainer is not None and probability < self.abstainer.threshold:
            # The learned decision (faq/abstain.py): not likely enough to be right.
            return "low_confidence"
        return "confident"


def _as_locale(hint: str | None) -> Locale | None:
    # Handlers pass the user's language code as they have it ("zh-CN", "zh-hans", "en-GB").
    if not hint:
        return None
    return "zh-CN" if hint.lower().startswith("zh") else "en"
