"""Persistence: a Storage hands out Repositories bound to one transaction.

Handlers and jobs only see `Storage.transaction()` and the repository methods, which
take and return pydantic models. The same repositories run on SQLite (a file path or
sqlite:///path) and on PostgreSQL (a postgresql:// URL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.keys import Keys
from storage.application_checks import ApplicationChecksRepository
from storage.applications import ApplicationRepository
from storage.audit import AuditRepository
from storage.db import Database, Tx
from storage.erasure import ErasureRepository
from storage.faq import FaqQuestionRepository
from storage.fulfilment import FulfilmentRepository
from storage.inbox import InboxRepository
from storage.merchants import MerchantRepository
from storage.outbox import OutboxRepository
from storage.privacy import PrivacyRepository
from storage.readings import ReadingRepository
from storage.reviews import ReviewAlbumRepository, ReviewRepository
from storage.sessions import SessionRepository
from storage.staff import StaffRepository
from storage.summary_deliveries import SummaryDeliveryRepository
from storage.ticket_drafts import TicketDraftRepository
from storage.tickets import TicketRepository
from storage.transactions import TransactionRepository
from storage.updates import UpdateLog
from storage.users import UserRepository

if TYPE_CHECKING:
    from storage.postgres import PgDatabase


class Repositories:
    """Every repository, bound to the same open transaction."""

    def __init__(self, tx: Tx, keys: Keys) -> None:
        self.tx = tx
        self.users = UserRepository(tx)
        self.checks = ApplicationChecksRepository(tx, keys.cipher, keys.lookup_keys)
        self.applications = ApplicationRepository(tx, keys.cipher, self.checks.lookup_hash)
        self.readings = ReadingRepository(tx)
        self.updates = UpdateLog(tx)
        self.inbox = InboxRepository(tx, keys.cipher)
        self.sessions = SessionRepository(tx, keys.cipher)
        self.staff = StaffRepository(tx)
        self.outbox = OutboxRepository(tx, keys.cipher)
        self.reviews = ReviewRepository(tx)
        self.albums = ReviewAlbumRepository(tx)
        self.fulfilment = FulfilmentRepository(tx, keys.cipher, keys.lookup_keys)
        self.merchants = MerchantRepository(tx)
        self.transactions = TransactionRepository(tx)
        self.summary_deliveries = SummaryDeliveryRepository(tx)
        self.faq = FaqQuestionRepository(tx)
        self.tickets = TicketRepository(tx)
        self.ticket_drafts = TicketDraftRepository(tx)
        self.privacy = PrivacyRepository(tx, keys.cipher)
        self.erasure = ErasureRepository(tx)
        self.audit = AuditRepository(tx)


def is_postgresql(location: Path | str) -> bool:
    """True for a postgresql:// (or postgres://) URL."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


class Storage:
    """The application's persistence entry point: SQLite file or PostgreSQL URL."""

    def __init__(self, location: Path | str, keys: Keys) -> None:
        self.db: Database | PgDatabase
        if is_postgresql(location):
            from storage.postgres import PgDatabase  # asyncpg only when asked for

            self.db = PgDatabase(str(location))
        else:
            if isinstance(location, str):
                location = Path(
                    location.removeprefix("sqlite:///")
                )  # sqlite:////abs, sqlite:///rel
            self.db = Database(location)
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
