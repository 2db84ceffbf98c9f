"""Telegram's flood limits on bulk sends, optional so tests that do not care never meet them.

Telegram lets a bot send about 30 messages per second across all chats; beyond it a send is
answered 429 with ``retry_after``. A send with ``allow_paid_broadcast=true`` is let through up
to 1,000 messages per second (Telegram charges Stars per message beyond the free 30). Each
budget is a token bucket holding one second's worth and refilled continuously (the model
python-telegram-bot's AIORateLimiter uses), so a short burst passes and a sustained excess
is refused. ``chat_gap`` optionally adds Telegram's advice of one message per second per chat.
Albums count one message per item.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.params import ApiError, Params

__all__ = ["BULK_METHODS", "FloodLimits", "TokenBucket"]

# Methods that post a message into a chat (the ones Telegram's broadcast limits apply to).
BULK_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
        "sendvideo",
        "sendaudio",
        "sendvoice",
        "sendanimation",
        "sendsticker",
        "sendvideonote",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendpoll",
        "senddice",
    }
)


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `rate` held: a burst of one second, then the rate."""

    rate: float
    level: float = field(init=False)
    at: float = field(init=False)

    def __post_init__(self) -> None:
        self.level = self.rate
        self.at = time.monotonic()

    def take(self, n: int = 1) -> float:
        """Take n tokens and return 0, or take none and return the seconds until n are there."""
        now = time.monotonic()
        self.level = min(self.rate, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level >= n:
            self.level -= n
            return 0.0
        return (n - self.level) / self.rate


def _too_many(wait: float) -> ApiError:
    retry_after = max(1, math.ceil(wait))  # Telegram's retry_after is whole seconds, at least 1
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class FloodLimits:
    """The budgets a BotApiServer applies to bulk sends when ``server.flood`` is set."""

    def __init__(
        self, per_second: float = 30, paid_per_second: float = 1000, chat_gap: float = 0.0
    ) -> None:
        self.free = TokenBucket(per_second)
        self.paid = TokenBucket(paid_per_second)
        self.chat_gap = chat_gap
        self._chat_last: dict[Any, float] = {}
        self.accepted = 0  # sends let through, free and paid
        self.paid_accepted = 0
        self.rejected = 0  # sends answered 429
        self.accepted_at: list[float] = []  # monotonic time of each accepted send

    def check(self, method: str, params: Params) -> ApiError | None:
        """The 429 for this call if it exceeds a budget, else None (and the budget is spent)."""
        if method not in BULK_METHODS:
            return None
        chat = params.get("chat_id")
        now = time.monotonic()
        if self.chat_gap > 0:
            since = now - self._chat_last.get(chat, -math.inf)
            if since < self.chat_gap:
                self.rejected += 1
                return _too_many(self.chat_gap - since)
        media = params.get("media")
        count = len(media) if method == "sendmediagroup" and isinstance(media, list) else 1
        paid = params.get_bool("allow_paid_broadcast")
        wait = (self.paid if paid else self.free).take(count)
        if wait > 0:
            self.rejected += 1
            return _too_many(wait)
        self._chat_last[chat] = now
        self.accepted += count
        self.paid_accepted += count if paid else 0
        self.accepted_at.append(now)
        return None
