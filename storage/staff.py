"""StaffRepository: roles of support and review staff, and bot messages in staff chats."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from storage.db import Tx, utcnow

ROLES = ("reviewer", "support", "admin")


class StaffMember(BaseModel):
    """A staff member and their role."""

    telegram_id: int
    role: str
    added_by: int | None
    added_at: datetime


class StaffRepository:
    """Plain-SQL access to staff roles; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def role_of(self, telegram_id: int) -> str | None:
        """The stored role, or None."""
        row = await self.tx.fetchone("SELECT role FROM staff WHERE telegram_id = ?", (telegram_id,))
        return row["role"] if row else None

    async def put(self, telegram_id: int, role: str, *, added_by: int) -> None:
        """Add a staff member or change their role."""
        await self.tx.execute(
            "INSERT INTO staff (telegram_id, role, added_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (telegram_id) DO UPDATE SET role = excluded.role,"
            " added_by = excluded.added_by, added_at = excluded.added_at",
            (telegram_id, role, added_by, utcnow().isoformat()),
        )

    async def remove(self, telegram_id: int) -> bool:
        """Remove a staff member; False if they were not staff."""
        return await self.tx.execute("DELETE FROM staff WHERE telegram_id = ?", (telegram_id,)) > 0

    async def all(self) -> list[StaffMember]:
        """Everyone with a role, by role then id."""
        rows = await self.tx.fetchall("SELECT * FROM staff ORDER BY role, telegram_id")
        return [StaffMember.model_validate(dict(r)) for r in rows]

    async def remember_message(
        self, chat_id: int, message_id: int, application_id: int, kind: str
    ) -> None:
        """Record that a bot message in a staff chat belongs to an application."""
        await self.tx.execute(
            "INSERT INTO staff_messages (chat_id, message_id, application_id, kind)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO UPDATE SET"
            " application_id = excluded.application_id, kind = excluded.kind",
            (chat_id, message_id, application_id, kind),
        )

    async def messages_of(self, application_id: int, kind: str) -> list[tuple[int, int]]:
        """(chat_id, message_id) of an application's staff messages of one kind."""
        rows = await self.tx.fetchall(
            "SELECT chat_id, message_id FROM staff_messages WHERE application_id = ? AND kind = ?",
            (application_id, kind),
        )
        return [(r["chat_id"], r["message_id"]) for r in rows]
