"""UpdateLog: which Telegram updates were already handled, so a side effect (an answer
stored, an application submitted, a terminal activated) happens once however often the
update is delivered; claimed in the same transaction as the effect."""

from __future__ import annotations

from storage.db import Tx, utcnow


class UpdateLog:
    """Which Telegram updates were already handled (for exactly-once side effects)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def claim(self, update_id: int) -> bool:
        """Record the update; False if it had been handled before."""
        changed = await self.tx.execute(
            "INSERT INTO processed_updates (update_id, handled_at) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING",
            (update_id, utcnow().isoformat()),
        )
        return changed == 1
