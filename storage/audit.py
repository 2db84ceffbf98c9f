"""AuditRepository: what staff were shown and what they were refused, for the auditor."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from storage.db import Tx, utcnow


class AuditEntry(BaseModel):
    """One line of the staff audit log."""

    at: datetime
    action: str
    staff_id: int | None
    chat_id: int | None
    application_id: int | None
    detail: str | None


class AuditRepository:
    """Plain-SQL access to the staff audit log; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def record(
        self,
        action: str,
        *,
        staff_id: int | None = None,
        chat_id: int | None = None,
        application_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Append one entry, stamped now."""
        await self.tx.execute(
            "INSERT INTO staff_audit (at, action, staff_id, chat_id, application_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (utcnow().isoformat(), action, staff_id, chat_id, application_id, detail),
        )

    async def of_application(self, application_id: int) -> list[AuditEntry]:
        """An application's entries, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM staff_audit WHERE application_id = ? ORDER BY id", (application_id,)
        )
        return [AuditEntry.model_validate(dict(r)) for r in rows]
