"""Pydantic models the repositories return."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from bot.settings import Locale


class User(BaseModel):
    """Someone who has talked to the bot."""

    telegram_id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None
    locale: Locale | None = None
    unreachable_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
