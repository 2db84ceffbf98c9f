"""Per-user rate limit on incoming updates: a flood is dropped, with one polite notice.

Runs before every other handler (group -2, ahead of users.remember_user), so a dropped update
costs no database round trip. The buckets live in this process's memory, on purpose also with
several instances on PostgreSQL: a chat's updates are handled by whichever instance holds the
chat's turn (bot/turns.py), and that instance keeps the turn while the chat has updates
waiting, so a flood is mostly counted by one bucket. Only when the turn moves between bursts
does another instance count from a full bucket: with N instances a person gets at most N
times RATE_LIMIT_BURST (and N times the rate) through, never unlimited. Counting in the
database would add a write to every update's path to close that gap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum

from telegram import ReplyParameters, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.settings import Settings
from handlers.common import label, text

log = logging.getLogger(__name__)

# Staff work in groups, where a busy agent fires commands and replies quickly: a wider limit.
GROUP_FACTOR = 5
# Every this many checks, buckets that have filled up again are forgotten (bounded memory).
_PRUNE_EVERY = 1000


class Verdict(Enum):
    """What to do with one update."""

    PASS = "pass"
    NOTIFY = "notify"  # drop it and say "slow down" (the first drop in a window)
    DROP = "drop"  # drop it silently (already told)


@dataclass
class _Bucket:
    tokens: float
    at: float
    notified_at: float | None = None


class RateLimit:
    """A token bucket per key: `burst` updates at once, refilled at `rate` a second; a key
    that runs dry is told once per `notice_every` seconds."""

    def __init__(
        self,
        burst: float,
        rate: float,
        notice_every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst, self.rate, self.notice_every = burst, rate, notice_every
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}
        self._checks = 0

    def check(self, key: Hashable) -> Verdict:
        """Take one token for `key`: PASS if there was one, else NOTIFY or DROP."""
        now = self._clock()
        self._checks += 1
        if self._checks % _PRUNE_EVERY == 0:
            self._prune(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.PASS
        if bucket.notified_at is None or now - bucket.notified_at >= self.notice_every:
            bucket.notified_at = now
            return Verdict.NOTIFY
        return Verdict.DROP

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate >= self.burst
            and (b.notified_at is None or now - b.notified_at >= self.notice_every)
        ]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class Throttle:
    """The handler: merchants (private chats) at the configured limit, groups at a wider one."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        rate = settings.rate_limit_messages / settings.rate_limit_seconds
        burst, every = settings.rate_limit_burst, settings.rate_limit_seconds
        self.private = RateLimit(burst, rate, every, clock)
        self.groups = RateLimit(burst * GROUP_FACTOR, rate * GROUP_FACTOR, every, clock)

    async def __call__(self, update: Update, context: Context) -> None:
        """Let the update through, or drop it (ApplicationHandlerStop) as part of a flood."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or user.is_bot:
            return
        in_group = chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        verdict = (self.groups if in_group else self.private).check(user.id)
        if verdict is Verdict.PASS:
            return
        query = update.callback_query
        if query is not None:
            # Every dropped press is answered, or the button keeps spinning.
            try:
                await query.answer(label(context, "slow_down"))
            except TelegramError as exc:
                log.info("slow-down answer failed: %r", exc)
        elif verdict is Verdict.NOTIFY and chat is not None:
            log.warning("user %s is flooding; dropping their updates for a while", user.id)
            message = update.effective_message
            try:
                await context.bot.send_message(
                    chat.id,
                    text(context, "slow_down"),
                    parse_mode=ParseMode.HTML,
                    reply_parameters=(
                        ReplyParameters(message.message_id, allow_sending_without_reply=True)
                        if in_group and message
                        else None
                    ),
                )
            except TelegramError as exc:
                log.info("slow-down notice failed: %r", exc)
        raise ApplicationHandlerStop
