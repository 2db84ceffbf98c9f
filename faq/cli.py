"""`merchant-bot faq check|eval|ask`: print, return an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from faq.check import check_knowledge_base
from faq.evaluate import evaluate, format_report
from faq.knowledge import load_knowledge_base
from faq.retrieval import FaqIndex

# shared/ sits beside the repository checkout (for developers and in CI alike).
DEFAULT_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "faq" / "dev-questions.yaml"


def run_check() -> int:
    """Validate faq/kb; 0 when clean, 1 when anything is wrong."""
    try:
        kb = load_knowledge_base()
    except (OSError, yaml.YAMLError, ValidationError) as error:
        print(f"cannot load the knowledge base: {error}")
        return 1
    problems = check_knowledge_base(kb)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {len(kb)} entries")
        return 1
    print(f"knowledge base OK: {len(kb)} entries")
    return 0


def run_eval(path: Path | None) -> int:
    """Evaluate on a question set (default: shared/faq/dev-questions.yaml); 1 if unreadable."""
    questions = path or DEFAULT_QUESTIONS
    if not questions.is_file():
        print(f"question file not found: {questions}")
        return 1
    try:
        report = evaluate(FaqIndex.build(load_knowledge_base()), questions)
    except (yaml.YAMLError, ValidationError) as error:
        print(f"cannot read {questions}: {error}")
        return 1
    print(f"questions: {questions}")
    print(format_report(report))
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
