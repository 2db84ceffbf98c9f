"""ReadingRepository: what OCR prefill leaves behind for the reviewer. Which answers the
merchant confirmed from a photo (item = the field, result = the photo's slot), which readings
the merchant corrected (item 'corrected:<field>'), and the cross-checks made when a photo was
read, as match/mismatch; never the text read."""

from __future__ import annotations

from storage.db import Tx, utcnow

CHECKS = ("id_name", "id_validity")


class ReadingRepository:
    """Provenance of answers and document cross-checks; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def set(self, application_id: int, item: str, result: str) -> None:
        """Record a field confirmed from ``result`` (a slot), or a check's result."""
        await self.tx.execute(
            "INSERT INTO application_readings (application_id, item, result, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (application_id, item) DO UPDATE SET"
            " result = excluded.result, updated_at = excluded.updated_at",
            (application_id, item, result, utcnow().isoformat()),
        )

    async def forget(self, application_id: int, item: str) -> None:
        """The field was typed (or the check no longer applies)."""
        await self.tx.execute(
            "DELETE FROM application_readings WHERE application_id = ? AND item = ?",
            (application_id, item),
        )

    async def of(self, application_id: int) -> dict[str, str]:
        """Every confirmed field (-> slot) and check (-> result) of an application."""
        rows = await self.tx.fetchall(
            "SELECT item, result FROM application_readings WHERE application_id = ?",
            (application_id,),
        )
        return {row["item"]: row["result"] for row in rows}
