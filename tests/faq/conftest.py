"""Shared fixtures: the real knowledge base and one index built from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from faq.cli import DEFAULT_QUESTIONS
from faq.knowledge import KnowledgeBase, load_knowledge_base
from faq.retrieval import FaqIndex

PARAPHRASES = Path(__file__).with_name("paraphrases.yaml")
OFF_TOPIC = Path(__file__).with_name("off_topic.yaml")


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
