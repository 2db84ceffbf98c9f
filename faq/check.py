"""Validate a knowledge base before it reaches merchants: `merchant-bot faq check`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from faq.cues import CueRule
from faq.knowledge import (
    ACTIONS,
    CATEGORIES,
    FACTS,
    LOCALES,
    SUPPORT_ENTRY,
    FaqEntry,
    KnowledgeBase,
)
from sandbox.telegram_html import HtmlParseError, parse_html

MAX_MESSAGE_CHARS = 4096  # Telegram's limit for one text message
MIN_QUESTIONS = 5  # fewer phrasings and retrieval misses the ways people really ask
# Our answers use a deliberate subset of Telegram HTML: <b>, <i>, <code>, <a href>.
ALLOWED_ENTITIES = frozenset({"bold", "italic", "code", "text_link"})


def check_knowledge_base(kb: KnowledgeBase, cues: Sequence[CueRule] = ()) -> list[str]:
    """Every problem found, one line each, prefixed with the entry id; empty when all is well.

    cues: question-type cue rules (faq.cues.load_cues()); every topic they name must exist.
    """
    problems: list[str] = []
    counts = Counter(entry.id for entry in kb.entries)
    problems += [
        f"{entry_id}: duplicate id ({n} entries)" for entry_id, n in counts.items() if n > 1
    ]
    for entry in kb.entries:
        problems += [f"{entry.id}: {problem}" for problem in _entry_problems(entry, kb)]
    problems += _shared_phrasings(kb)
    for rule in cues:
        for topic in sorted({rule.favour, *rule.over}):
            if kb.get(topic) is None:
                problems.append(
                    f"cues.yaml: rule favouring {rule.favour!r} names unknown {topic!r}"
                )
    return problems


def _entry_problems(entry: FaqEntry, kb: KnowledgeBase) -> list[str]:
    problems: list[str] = []
    if entry.category not in CATEGORIES:
        problems.append(f"unknown category {entry.category!r} (one of {', '.join(CATEGORIES)})")
    if entry.action is not None and entry.action not in ACTIONS:
        problems.append(f"unknown action {entry.action!r} (one of {', '.join(sorted(ACTIONS))})")
    for related in entry.related:
        if related == entry.id:
            problems.append("lists itself as related")
        elif kb.get(related) is None:
            problems.append(f"related id {related!r} does not exist")
    if entry.action == "support" and SUPPORT_ENTRY in entry.related:
        # One way to a person per answer: the support button already is one.
        problems.append(f"has the support button and also lists {SUPPORT_ENTRY!r} as related")
    for locale in LOCALES:
        if not entry.title.get(locale, "").strip():
            problems.append(f"[{locale}] missing title")
        questions = [q for q in entry.questions.get(locale, []) if q.strip()]
        if len(questions) < MIN_QUESTIONS:
            problems.append(f"[{locale}] {len(questions)} question phrasings, need {MIN_QUESTIONS}")
        repeated = [q for q, n in Counter(_key(q) for q in questions).items() if n > 1]
        problems += [f"[{locale}] phrasing repeated: {q!r}" for q in repeated]
        answer = entry.answer.get(locale, "").strip()
        if not answer:
            problems.append(f"[{locale}] missing answer")
        else:
            problems += [f"[{locale}] answer {problem}" for problem in _answer_problems(answer)]
    return problems


def _answer_problems(answer: str) -> list[str]:
    problems: list[str] = []
    for name in sorted(set(re.findall(r"\{(\w+)\}", answer)) - FACTS):
        problems.append(f"quotes unknown fact {{{name}}} (one of {', '.join(sorted(FACTS))})")
    if len(answer) > MAX_MESSAGE_CHARS:
        problems.append(f"is {len(answer)} characters, Telegram allows {MAX_MESSAGE_CHARS}")
    try:
        _, entities = parse_html(answer)
    except HtmlParseError as error:
        problems.append(f"is not valid Telegram HTML: {error}")
    else:
        for kind in sorted({e["type"] for e in entities} - ALLOWED_ENTITIES):
            problems.append(f"uses {kind!r} formatting; only <b>, <i>, <code>, <a href> are used")
    return problems


def _shared_phrasings(kb: KnowledgeBase) -> list[str]:
    # The same phrasing under two topics makes retrieval a coin toss between them.
    owners: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    for entry in kb.entries:
        for locale, questions in entry.questions.items():
            for question in questions:
                key = (locale, _key(question))
                other = owners.setdefault(key, entry.id)
                if other != entry.id:
                    problems.append(f"{entry.id}: [{locale}] phrasing {question!r} also in {other}")
    return problems


def _key(question: str) -> str:
    return "".join(ch for ch in question.lower() if ch.isalnum())
