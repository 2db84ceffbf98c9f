"""Logging set-up: personal data and the bot token are masked in every line.

The console shows the bot's own lines from LOG_LEVEL up and other libraries' only from
WARNING up (all of them with LOG_LEVEL=DEBUG). That holds whatever a library does to its own
logger: bm25s sets its logger to DEBUG when it is imported, which happens after this runs.
"""

from __future__ import annotations

import logging
from typing import IO

from bot.masking import PersonalDataFilter

FIRST_PARTY = ("bot", "handlers", "storage", "scheduler", "faq", "sandbox", "bench", "__main__")


class ThirdPartyFilter(logging.Filter):
    """Drop other libraries' records below `threshold` (their INFO and DEBUG chatter)."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep first-party records and others at or above the threshold."""
        if record.levelno >= self.threshold:
            return True
        return record.name.split(".", 1)[0] in FIRST_PARTY


def console_handler(level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """The operator's console: the level, the third-party threshold and the masking filter."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # The handler's own level: a library that lowers its logger's level reaches no further.
    handler.setLevel(level)
    handler.addFilter(ThirdPartyFilter(logging.DEBUG if level == "DEBUG" else logging.WARNING))
    handler.addFilter(PersonalDataFilter())
    return handler


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr through a filter that masks IDs, accounts, phones, tokens and secrets."""
    handler = console_handler(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token: not even at DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
