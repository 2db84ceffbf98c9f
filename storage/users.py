"""UserRepository: who talks to the bot, their language and whether they can be reached."""

from __future__ import annotations

from datetime import datetime

from bot.settings import Locale
from storage.db import Tx, utcnow
from storage.models import User


class UserRepository:
    """Plain-SQL access to the users table; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get(self, telegram_id: int) -> User | None:
        """The user, or None if they never wrote."""
        row = await self.tx.fetchone("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
        return User.model_validate(dict(row)) if row else None

    async def upsert_seen(
        self, telegram_id: int, *, first_name: str, username: str | None, language_code: str | None
    ) -> User:
        """Record that the user wrote, refreshing their Telegram profile fields."""
        now = utcnow().isoformat()
        await self.tx.execute(
            "INSERT INTO users (telegram_id, first_name, username, language_code,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (telegram_id) DO UPDATE SET first_name = excluded.first_name,"
            " username = excluded.username, language_code = excluded.language_code,"
            " unreachable_at = NULL, updated_at = excluded.updated_at",
            (telegram_id, first_name, username, language_code, now, now),
        )
        user = await self.get(telegram_id)
        assert user is not None
        return user

    async def set_locale(self, telegram_id: int, locale: Locale) -> None:
        """Remember the language the user picked."""
        await self.tx.execute(
            "UPDATE users SET locale = ?, updated_at = ? WHERE telegram_id = ?",
            (locale, utcnow().isoformat(), telegram_id),
        )

    async def mark_unreachable(self, telegram_id: int, when: datetime | None = None) -> None:
        """Telegram refused delivery (blocked bot, deleted account)."""
        await self.tx.execute(
            "UPDATE users SET unreachable_at = ? WHERE telegram_id = ?",
            ((when or utcnow()).isoformat(), telegram_id),
        )
