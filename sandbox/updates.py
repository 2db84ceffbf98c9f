"""The updates waiting for the bot: ids that never repeat, allowed_updates, confirm by offset.

getUpdates (sandbox/methods_misc.py) and webhook delivery (sandbox/webhook.py) take from it;
what users do (sandbox/state.py) adds to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from typing import Any

__all__ = ["Pulse", "UpdateQueue"]

# What Telegram delivers when allowed_updates is empty/never set.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Pulse:
    """A broadcast wake-up: every waiter present at ``fire()`` is released."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake all current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    def armed(self) -> asyncio.Event:
        """The event the next fire() sets: take it before looking, wait on it after."""
        return self._event

    async def wait(self, timeout: float | None = None) -> None:
        """Wait for the next fire (or the timeout); never raises on timeout."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


class UpdateQueue:
    """Pending Updates, in order, and the pulse that wakes long polls and the webhook sender."""

    def __init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        # Telegram never reuses an update_id; a bot that remembers handled ids (button presses
        # are claimed once) would ignore every press after a sandbox restart if ids began at 1
        # again. Eighths of a second since 2025 keep them rising across restarts (no person
        # sends 8 updates a second for a whole run) and short like Telegram's: 9-10 digits,
        # never mistaken for a phone or an account number by the log masking.
        self._next_update_id = max(1, int((time.time() - 1_735_689_600) * 8))
        self.allowed_updates: list[str] | None = None
        self.updates_pulse = Pulse()

    def enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        """Append an Update and wake long polls."""
        self._updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self.updates_pulse.fire()

    def confirm(self, offset: int) -> None:
        """Forget updates before ``offset`` (negative: keep only the last -offset)."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def take_updates(self, limit: int) -> list[dict[str, Any]]:
        """Pending updates allowed by allowed_updates (others are discarded like Telegram)."""
        allowed = set(self.allowed_updates or [])

        def wanted(update: dict[str, Any]) -> bool:
            kind = next(k for k in update if k != "update_id")
            return kind in allowed if allowed else kind not in _NOT_BY_DEFAULT

        self._updates = [u for u in self._updates if wanted(u)]
        return copy.deepcopy(self._updates[:limit])

    def remove_update(self, update_id: int) -> None:
        """Forget one update (a webhook delivered it)."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]

    def pending_update_count(self) -> int:
        """Number of queued updates."""
        return len(self._updates)

    def drop_updates(self) -> None:
        """deleteWebhook(drop_pending_updates=True)."""
        self._updates.clear()
