"""What the operator's probes read (bot/ops.py): schema version and outbox backlog."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import Database, Tx, _migration_files

__all__ = ["missing_migrations", "outbox_backlog"]


async def missing_migrations(tx: Tx, db: object) -> list[int]:
    """Versions this code ships that the database has not applied (empty: up to date)."""
    dialect = "sqlite" if isinstance(db, Database) else "postgresql"
    known = {version for version, _, _ in _migration_files(dialect)}
    applied = {row[0] for row in await tx.fetchall("SELECT version FROM schema_migrations")}
    return sorted(known - applied)


async def outbox_backlog(tx: Tx) -> tuple[int, datetime | None]:
    """Messages waiting in the outbox (not sent, not given up) and when the oldest was queued."""
    row = await tx.fetchone(
        "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    )
    if row is None or not row[0] or not row[1]:
        return 0, None
    created = datetime.fromisoformat(row[1])
    return int(row[0]), created if created.tzinfo else created.replace(tzinfo=UTC)
