"""BotData: what the whole process shares (settings, storage, renderer, the outbox, the FAQ),
filled in once by build_application. No Telegram types: services take it as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.documents import DocumentStore
from bot.i18n import Renderer
from bot.settings import Settings
from storage import Storage

if TYPE_CHECKING:
    import asyncio

    from aiohttp import web

    from bot.cluster import Cluster, SingleProcess
    from bot.ocr.reader import DocumentReader
    from bot.polling import DurablePoller
    from bot.turns import ClusterTurns
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
    poller: DurablePoller  # set by bot.runner.start_bot, as are the four below
    cluster: Cluster | SingleProcess  # .role "single" | "leader" | "follower", .is_leader
    turns: ClusterTurns | None  # PostgreSQL: chats' turns across instances
    follow_lead: asyncio.Task[None] | None  # PostgreSQL polling: poll while leading
    webhook: web.AppRunner | None  # WEBHOOK_URL set: the webhook server
    knowledge: KnowledgeBase  # the FAQ entries, for browsing
    faq: FaqIndex  # built once at start-up (jieba's first load takes ~0.5 s)
    # OCR prefill of the application (its worker starts on the first photo); None = off.
    reader: DocumentReader | None = None
