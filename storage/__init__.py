"""Persistence: a Storage hands out Repositories bound to one transaction.

Handlers and jobs only see `Storage.transaction()` and the repository methods, which
take and return pydantic models; a PostgreSQL backend would provide another Storage
whose repositories implement the same methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.keys import Keys
from storage.applications import ApplicationRepository, UpdateLog
from storage.audit import AuditRepository
from storage.db import Database, Tx
from storage.faq import FaqQuestionRepository
from storage.fulfilment import FulfilmentRepository
from storage.inbox import InboxRepository
from storage.merchants import MerchantRepository, SummaryDeliveryRepository
from storage.outbox import OutboxRepository
from storage.privacy import PrivacyRepository
from storage.reviews import ReviewRepository
from storage.staff import StaffRepository
from storage.tickets import TicketRepository
from storage.transactions import TransactionRepository
from storage.users import UserRepository


class Repositories:
    """Every repository, bound to the same open transaction."""

    def __init__(self, tx: Tx, keys: Keys) -> None:
        self.tx = tx
        self.users = UserRepository(tx)
        self.applications = ApplicationRepository(tx, keys.cipher)
        self.updates = UpdateLog(tx)
        self.inbox = InboxRepository(tx, keys.cipher)
        self.staff = StaffRepository(tx)
        self.outbox = OutboxRepository(tx, keys.cipher)
        self.reviews = ReviewRepository(tx)
        self.fulfilment = FulfilmentRepository(tx, keys.cipher, keys.lookup_keys)
        self.merchants = MerchantRepository(tx)
        self.transactions = TransactionRepository(tx)
        self.summary_deliveries = SummaryDeliveryRepository(tx)
        self.faq = FaqQuestionRepository(tx)
        self.tickets = TicketRepository(tx)
        self.privacy = PrivacyRepository(tx, keys.cipher)
        self.audit = AuditRepository(tx)


class Storage:
    """The application's persistence entry point (SQLite backend)."""

    def __init__(self, path: Path, keys: Keys) -> None:
        self.db = Database(path)
        self.keys = keys

    async def open(self) -> None:
        """Connect and migrate."""
        applied = await self.db.connect()
        async with self.transaction() as repos:
            # Rows an earlier version queued in plain text and that still wait.
            sealed = await repos.outbox.seal_plain() + await repos.inbox.seal_plain()
        if applied or sealed:
            # A migration may have deleted or rewritten personal data (0010 drops the plain
            # text earlier versions kept). Once per upgrade; instant on a new database.
            await self.db.compact()

    async def close(self) -> None:
        """Close the connection."""
        await self.db.close()

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Repositories]:
        """Repositories for reads and one-statement writes, each statement atomic by itself:
        two round trips to the database thread fewer than a transaction."""
        async with self.db.autocommit() as tx:
            yield Repositories(tx, self.keys)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """Repositories sharing one transaction, committed when the block exits cleanly."""
        async with self.db.transaction() as tx:
            yield Repositories(tx, self.keys)
