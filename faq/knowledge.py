"""The FAQ knowledge base: entries loaded from the YAML files in faq/kb/."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

Locale = Literal["zh-CN", "en"]
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")

CATEGORIES: dict[str, dict[Locale, str]] = {
    "apply": {"zh-CN": "申请办理", "en": "Applying"},
    "usage": {"zh-CN": "使用指南", "en": "Using the POS"},
    "notes": {"zh-CN": "注意事项", "en": "Good practice"},
    "common": {"zh-CN": "常见问题", "en": "Common questions"},
}

# The entry about talking to a person: an answer with the support button does not also list it.
SUPPORT_ENTRY = "support.contact"

# The buttons the chat can show under an answer; handlers map each to a command.
ACTIONS: frozenset[str] = frozenset(
    {"apply", "status", "code", "support", "summary_settings", "faq"}
)

DEFAULT_KB_PATH = Path(__file__).resolve().parent / "kb"
# Provider facts an answer may quote as {name}; the operator sets them (bot.settings), so
# an answer never carries an invented number. faq.check rejects any other placeholder.
FACTS: frozenset[str] = frozenset({"settlement_days"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class FaqEntry(BaseModel):
    """One topic: how merchants ask about it and the answer the bot gives."""

    # Category, action and locale completeness are deliberately plain values here and
    # validated by faq.check, so one run lists every problem instead of stopping at the first.
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    category: str
    title: dict[Locale, str]
    questions: dict[Locale, list[str]]
    answer: dict[Locale, str]
    related: list[str] = Field(default_factory=list)
    action: str | None = None

    def title_for(self, locale: Locale) -> str:
        """Title in the locale, falling back to the other one."""
        return _pick(self.title, locale)

    def answer_for(self, locale: Locale, facts: Mapping[str, object] | None = None) -> str:
        """Answer (Telegram HTML) in the locale, falling back to the other one, facts filled in."""
        text = _pick(self.answer, locale).strip()
        if facts is None:
            return text
        return _PLACEHOLDER.sub(lambda m: str(facts.get(m.group(1), m.group(0))), text)

    def category_title(self, locale: Locale) -> str:
        """The category's display name, e.g. 申请办理 / Applying."""
        return CATEGORIES.get(self.category, {}).get(locale, self.category)


class KnowledgeBase(BaseModel):
    """All FAQ entries, in file order."""

    model_config = ConfigDict(frozen=True)

    entries: list[FaqEntry]
    _by_id: dict[str, FaqEntry] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        # First entry wins on a duplicate id; faq.check reports the duplicate.
        for entry in self.entries:
            self._by_id.setdefault(entry.id, entry)

    def get(self, entry_id: str) -> FaqEntry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)

    def by_category(self, category: str) -> list[FaqEntry]:
        """Entries of one category, in file order."""
        return [entry for entry in self.entries if entry.category == category]

    def __len__(self) -> int:
        return len(self.entries)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely, with libyaml's C parser when present (several times faster)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def load_knowledge_base(path: Path | None = None) -> KnowledgeBase:
    """Load entries from a YAML file or from every *.yaml file of a directory (default faq/kb)."""
    path = path or DEFAULT_KB_PATH
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    entries: list[FaqEntry] = []
    for file in files:
        data = read_yaml(file) or []
        items = data if isinstance(data, list) else [data]
        entries.extend(FaqEntry.model_validate(item) for item in items)
    return KnowledgeBase(entries=entries)


def _pick(values: dict[Locale, str], locale: Locale) -> str:
    if locale in values:
        return values[locale]
    return next(iter(values.values()), "")
