"""Shared fixtures: the real knowledge base and one index built from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from faq.classifier import TopicClassifier
from faq.cli import DEFAULT_QUESTIONS
from faq.knowledge import KnowledgeBase, load_knowledge_base
from faq.retrieval import FaqIndex

PARAPHRASES = Path(__file__).with_name("paraphrases.yaml")
OFF_TOPIC = Path(__file__).with_name("off_topic.yaml")


def question_key(text: str) -> str:
    """A question compared word for word: lower case, letters and digits only."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def classifier_without(entry_id: str) -> TopicClassifier:
    """The stored topic classifier as if trained before `entry_id` existed."""
    stored = TopicClassifier.load()
    assert stored is not None
    keep = [i for i, name in enumerate(stored.classes) if name != entry_id]
    return TopicClassifier(
        classes=tuple(stored.classes[i] for i in keep),
        keys=stored.keys,
        weights=np.ascontiguousarray(stored.weights[:, keep]),
        intercepts=stored.intercepts[keep],
    )


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def index(kb: KnowledgeBase) -> FaqIndex:
    return FaqIndex.build(kb)


@pytest.fixture(scope="session")
def dev_questions() -> Path:
    # Never skipped: faq/eval/ keeps a copy for clones without shared/.
    assert DEFAULT_QUESTIONS.is_file(), f"dev questions not found at {DEFAULT_QUESTIONS}"
    return DEFAULT_QUESTIONS


@pytest.fixture(scope="session")
def paraphrases() -> list[dict[str, str | None]]:
    return yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
