"""Logging set-up: personal data and the bot token are masked in every line."""

from __future__ import annotations

import logging

from bot.masking import PersonalDataFilter


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr through a filter that masks IDs, accounts, phones and tokens."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # bm25s sets its own logger to DEBUG and prints a line per index it builds.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
