"""`merchant-bot faq check|eval|ask`: print, return an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from faq.abstain import MODEL_PATH
from faq.calibrate import CALIBRATION_FILES, calibrate_all, train_topics, training_files
from faq.check import check_knowledge_base
from faq.classifier import MODEL_PATH as CLASSIFIER_PATH
from faq.classifier import TopicClassifier
from faq.cues import load_cues
from faq.evaluate import EvalReport, evaluate, format_report
from faq.knowledge import load_knowledge_base
from faq.retrieval import FaqIndex

# The team's shared dev set sits beside the checkout (shared/faq/); a copy of it is kept in
# faq/eval/ so a clone without shared/ (a fresh CI machine) evaluates the same questions.
_SHARED_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "faq" / "dev-questions.yaml"
_COPIED_QUESTIONS = Path(__file__).resolve().parent / "eval" / "dev-questions.yaml"
DEFAULT_QUESTIONS = _SHARED_QUESTIONS if _SHARED_QUESTIONS.is_file() else _COPIED_QUESTIONS
EVAL_DIR = Path(__file__).resolve().parent / "eval"


def _set_number(path: Path) -> int:
    digits = path.stem.removeprefix("heldout")
    return int(digits) if digits.isdigit() else 1


# Our own held-out sets (faq/eval/heldout*.yaml): written by separate sessions from the topic
# list, measured, never trained or tuned on (each header says what it measured). Earlier sets
# became training data (faq/train/README.md).
HELD_OUT_SETS = tuple(sorted(EVAL_DIR.glob("heldout*.yaml"), key=_set_number))


def run_check() -> int:
    """Validate faq/kb; 0 when clean, 1 when anything is wrong."""
    try:
        kb = load_knowledge_base()
    except (OSError, yaml.YAMLError, ValidationError) as error:
        print(f"cannot load the knowledge base: {error}")
        return 1
    problems = check_knowledge_base(kb, load_cues())
    classifier = TopicClassifier.load(CLASSIFIER_PATH)
    untrained = sorted({e.id for e in kb.entries} - set(classifier.classes if classifier else ()))
    if untrained:
        # The index would set the classifier aside and answer by BM25 alone (faq/README.md).
        names = ", ".join(untrained)
        problems.append(
            f"the topic classifier does not know {names}: run merchant-bot faq calibrate"
        )
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {len(kb)} entries")
        return 1
    print(f"knowledge base OK: {len(kb)} entries")
    return 0


def run_eval(path: Path | None) -> int:
    """Evaluate on a question set; by default the shared dev set and our held-out set."""
    files = [path] if path else [DEFAULT_QUESTIONS, *HELD_OUT_SETS]
    index = FaqIndex.build(load_knowledge_base())
    held: list[EvalReport] = []
    for n, questions in enumerate(files):
        if not questions.is_file():
            print(f"question file not found: {questions}")
            return 1
        try:
            report = evaluate(index, questions)
        except (yaml.YAMLError, ValidationError) as error:
            print(f"cannot read {questions}: {error}")
            return 1
        print(("\n" if n else "") + f"questions: {questions}")
        print(format_report(report))
        if questions in HELD_OUT_SETS:
            held.append(report)
    if len(held) > 1:
        correct, answerable = sum(r.correct for r in held), sum(r.answerable for r in held)
        caught, off_topic = sum(r.abstained_off_topic for r in held), sum(r.off_topic for r in held)
        targets = "targets: top-1 >= 95%, off-topic >= 90%"
        print(f"\nthe {len(held)} held-out sets together ({targets}):")
        print(f"top-1 accuracy:       {correct / answerable:6.1%}  ({correct}/{answerable})")
        print(f"abstention recall:    {caught / off_topic:6.1%}  ({caught}/{off_topic})")
    return 0


def run_calibrate() -> int:
    """Train the topic classifier and fit the fallback answer/abstain model; store both."""
    kb = load_knowledge_base()
    files = [f for f in [DEFAULT_QUESTIONS, *CALIBRATION_FILES] if f.is_file()]
    training = training_files(files)
    classifier, examples = train_topics(kb, training)
    classifier.save(CLASSIFIER_PATH)
    print(f"topic classifier: {examples} labelled phrasings and questions from the knowledge base")
    print(f"  and {len(training)} files ({', '.join(f.name for f in training)})")
    print(f"  {len(classifier.keys)} features, {len(classifier.classes)} classes")
    print(f"written: {CLASSIFIER_PATH}")
    result = calibrate_all(kb, training)
    model = result.model
    print(f"\nabstention model: {result.questions} questions, each with a held-apart classifier")
    for name, weight in zip(model.features, model.weights, strict=True):
        print(f"  {name:<17} {weight:+.3f}")
    print(
        f"  {'(bias)':<17} {model.bias:+.3f}   threshold {model.threshold:.3f}, "
        f"sharing no concept {model.no_concept_threshold:.3f}"
    )
    print(f"held-apart folds: top-1 {result.top1:.1%}, off-topic abstained {result.abstention:.1%}")
    model.save(MODEL_PATH)
    print(f"written: {MODEL_PATH}\n")
    chosen = FaqIndex.build(kb)
    for path in HELD_OUT_SETS:
        held = evaluate(chosen, path)
        print(
            f"{path.name} (never trained on): top-1 {held.top1_accuracy:.1%}, "
            f"off-topic abstained {held.abstention_recall:.1%}"
        )
    return 0


def run_ask(question: str, lang: str | None, as_json: bool) -> int:
    """Answer one question with the index the chat uses, by the chat's decision."""
    locale = {"zh": "zh-CN", "en": "en"}.get(lang or "")
    result = FaqIndex.build(load_knowledge_base()).ask(question, locale)
    payload = {
        "answer": result.entry.id if result.entry else None,
        "candidates": [
            {"id": entry.id, "score": score}
            for entry, score in zip(result.candidates, result.candidate_scores, strict=True)
        ],
    }
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
    elif result.entry is not None:
        print(f"{result.entry.id} (score {result.score:.3f})")
    else:
        ids = ", ".join(c["id"] for c in payload["candidates"]) or "none"
        print(f"no confident answer ({result.reason}); candidates: {ids}")
    return 0
