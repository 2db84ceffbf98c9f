"""The command menu Telegram shows next to the text box, per locale."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import Renderer
from bot.settings import Locale

COMMANDS: tuple[str, ...] = (
    "start",
    "apply",
    "status",
    "code",
    "activate",
    "agreement",
    "today",
    "summary",
    "week",
    "details",
    "settings",
    "faq",
    "support",
    "tickets",
    "language",
    "privacy",
    "mydata",
    "deletemydata",
    "cancel",
    "help",
)


def bot_commands(renderer: Renderer, locale: Locale) -> list[BotCommand]:
    """The commands with descriptions in `locale`."""
    return [BotCommand(name, renderer.plain_label(locale, f"cmd_{name}")) for name in COMMANDS]
