"""Typed context: what every handler can reach, instead of string keys in bot_data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.documents import DocumentStore
from bot.i18n import Renderer
from bot.settings import Locale, Settings
from storage import Storage

if TYPE_CHECKING:
    from bot.polling import DurablePoller
    from faq.knowledge import KnowledgeBase
    from faq.retrieval import FaqIndex
    from scheduler.outbox import OutboxSender


class BotData:
    """Process-wide services, filled in by build_application before the bot starts."""

    settings: Settings
    storage: Storage
    renderer: Renderer
    documents: DocumentStore
    outbox: OutboxSender
    kick_outbox: Callable[[], None]
    poller: DurablePoller  # set by bot.runner.start_bot
    knowledge: KnowledgeBase  # the FAQ entries, for browsing
    faq: FaqIndex  # built once at start-up (jieba's first load takes ~0.5 s)


@dataclass
class UserData:
    """Per-user facts loaded from the database (and refreshed when the profile changes)."""

    locale: Locale = "zh-CN"
    extras: dict[str, object] = field(default_factory=dict)
    # The Telegram profile last written to the users table, and when (time.monotonic()).
    profile: tuple[str, str | None, str | None] | None = None
    profile_at: float = 0.0


Context = CallbackContext[ExtBot[None], UserData, dict, BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData, user_data=UserData)
