"""ReviewRepository: a reviewer's rejection while it is being put together."""

from __future__ import annotations

import json

from pydantic import BaseModel

from bot.masking import mask_text
from storage.db import Tx, utcnow


class PendingRejection(BaseModel):
    """Flagged fields and reasons so far."""

    application_id: int
    reviewer_id: int
    fields: list[str]
    reasons: dict[str, str]
    prompt_message: int | None


class ReviewRepository:
    """Plain-SQL access to pending rejections; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def start(self, application_id: int, reviewer_id: int) -> None:
        """Begin (or restart) a rejection."""
        await self.tx.execute(
            "INSERT INTO pending_rejections (application_id, reviewer_id, started_at)"
            " VALUES (?, ?, ?) ON CONFLICT (application_id) DO UPDATE SET"
            " reviewer_id = excluded.reviewer_id, started_at = excluded.started_at,"
            " fields = '[]', reasons = '{}', prompt_message = NULL",
            (application_id, reviewer_id, utcnow().isoformat()),
        )

    async def get(self, application_id: int) -> PendingRejection | None:
        """The rejection in progress for an application."""
        row = await self.tx.fetchone(
            "SELECT * FROM pending_rejections WHERE application_id = ?", (application_id,)
        )
        return self._model(row) if row else None

    async def by_prompt(self, message_id: int) -> PendingRejection | None:
        """The rejection whose "reason for …" prompt is this message."""
        row = await self.tx.fetchone(
            "SELECT * FROM pending_rejections WHERE prompt_message = ?", (message_id,)
        )
        return self._model(row) if row else None

    async def awaiting_reason(self, reviewer_id: int) -> list[PendingRejection]:
        """The reviewer's rejections in progress whose prompt waits for a reason."""
        rows = await self.tx.fetchall(
            "SELECT * FROM pending_rejections WHERE reviewer_id = ? AND prompt_message IS NOT NULL"
            " ORDER BY started_at",
            (reviewer_id,),
        )
        return [self._model(r) for r in rows]

    async def save(self, pending: PendingRejection) -> None:
        """Store the fields, reasons and prompt."""
        await self.tx.execute(
            "UPDATE pending_rejections SET fields = ?, reasons = ?, prompt_message = ?"
            " WHERE application_id = ?",
            (
                json.dumps(pending.fields),
                json.dumps(
                    {f: mask_text(r) for f, r in pending.reasons.items()}, ensure_ascii=False
                ),
                pending.prompt_message,
                pending.application_id,
            ),
        )

    async def drop(self, application_id: int) -> None:
        """Forget the rejection in progress."""
        await self.tx.execute(
            "DELETE FROM pending_rejections WHERE application_id = ?", (application_id,)
        )

    @staticmethod
    def _model(row) -> PendingRejection:
        return PendingRejection(
            application_id=row["application_id"],
            reviewer_id=row["reviewer_id"],
            fields=json.loads(row["fields"]),
            reasons=json.loads(row["reasons"]),
            prompt_message=row["prompt_message"],
        )


class ReviewAlbum(BaseModel):
    """The documents posted to the review chat for one submission round."""

    round: int
    documents: dict[str, str]  # slot -> sha256 of the document as submitted that round
    message_id: int | None  # the album's first message; None when nothing new was posted


class ReviewAlbumRepository:
    """Which documents reached the review chat, per submission round."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def record(
        self, application_id: int, round_: int, documents: dict[str, str], message_id: int | None
    ) -> None:
        """The documents of this round are in the review chat (message_id: what was posted)."""
        await self.tx.execute(
            "INSERT INTO review_albums (application_id, round, documents, message_id, posted_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (application_id, round) DO NOTHING",
            (application_id, round_, json.dumps(documents), message_id, utcnow().isoformat()),
        )

    async def of(self, application_id: int) -> list[ReviewAlbum]:
        """Every round's album, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT round, documents, message_id FROM review_albums WHERE application_id = ?"
            " ORDER BY round",
            (application_id,),
        )
        return [
            ReviewAlbum(
                round=r["round"], documents=json.loads(r["documents"]), message_id=r["message_id"]
            )
            for r in rows
        ]
