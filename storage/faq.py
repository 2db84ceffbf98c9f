"""FaqQuestionRepository: what merchants asked the FAQ, what it showed them and their vote."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from bot.masking import mask_text
from bot.settings import Locale
from storage.db import Tx, utcnow

Source = Literal["asked", "candidate", "browsed"]

# Enough for any real question; a pasted chat log is cut rather than stored whole.
_MAX_QUESTION_CHARS = 1000


class FaqQuestion(BaseModel):
    """One answer shown (or one question the bot could not answer) and the vote on it."""

    id: int
    telegram_id: int
    question: str | None
    language: Locale
    source: Source
    entry_id: str | None
    reason: str | None
    score: float | None
    vote: Literal[-1, 1] | None
    voted_at: datetime | None
    created_at: datetime


class FaqQuestionRepository:
    """Plain-SQL access to faq_questions; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def record(
        self,
        telegram_id: int,
        *,
        question: str | None,
        language: Locale,
        source: Source,
        entry_id: str | None,
        reason: str | None = None,
        score: float | None = None,
    ) -> int:
        """Store what was asked and shown; returns the id the vote buttons carry."""
        # Merchants paste ID, card and phone numbers into questions; keep only the masked form.
        stored = mask_text(question[:_MAX_QUESTION_CHARS]) if question is not None else None
        return await self.tx.insert(
            "INSERT INTO faq_questions (telegram_id, question, language, source, entry_id,"
            " reason, score, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (telegram_id, stored, language, source, entry_id, reason, score, utcnow().isoformat()),
        )

    async def get(self, question_id: int) -> FaqQuestion | None:
        """The record, or None."""
        row = await self.tx.fetchone("SELECT * FROM faq_questions WHERE id = ?", (question_id,))
        return FaqQuestion.model_validate(dict(row)) if row else None

    async def vote(self, question_id: int, *, solved: bool) -> None:
        """Record 👍 (solved) or 👎; a second vote replaces the first."""
        await self.tx.execute(
            "UPDATE faq_questions SET vote = ?, voted_at = ? WHERE id = ?",
            (1 if solved else -1, utcnow().isoformat(), question_id),
        )

    async def recent_of(self, telegram_id: int, limit: int = 5) -> list[FaqQuestion]:
        """What the merchant typed most recently (newest first), for support staff."""
        rows = await self.tx.fetchall(
            "SELECT * FROM faq_questions WHERE telegram_id = ? AND question IS NOT NULL"
            " AND source = 'asked' ORDER BY id DESC LIMIT ?",
            (telegram_id, limit),
        )
        return [FaqQuestion.model_validate(dict(r)) for r in rows]
