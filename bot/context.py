"""Typed context: what every handler can reach, instead of string keys in bot_data.

BotData itself lives in bot/data.py, free of Telegram types, so services can take it."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.data import BotData
from bot.settings import Locale


@dataclass
class UserData:
    """Per-user facts loaded from the database (and refreshed when the profile changes)."""

    locale: Locale = "zh-CN"
    extras: dict[str, object] = field(default_factory=dict)
    # The Telegram profile last written to the users table, and when (time.monotonic()).
    profile: tuple[str, str | None, str | None] | None = None
    profile_at: float = 0.0


Context = CallbackContext[ExtBot[None], UserData, dict, BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData, user_data=UserData)
