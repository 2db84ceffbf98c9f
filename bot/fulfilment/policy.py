"""Fulfilment's settings as its use cases need them, read once (`Policy.of(settings)`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot import fees
from bot.settings import Locale, Settings


@dataclass(frozen=True)
class Policy:
    """Where staff hear of signatures and activation locks (the review chat, in the
    deployment's default language), the rates the agreement states, and how many wrong
    codes lock activation for how long."""

    review_chat_id: int | None
    staff_locale: Locale
    schedule: fees.FeeSchedule | None  # None: no rates configured, support confirms them
    max_failures: int
    lock_minutes: float  # as staff are told it (rounded)
    lock: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        """The policy the settings describe."""
        return cls(
            review_chat_id=settings.review_chat_id,
            staff_locale=settings.default_locale,
            schedule=fees.fee_schedule(settings),
            max_failures=settings.activation_max_failures,
            lock_minutes=settings.activation_lock_minutes,
            lock=timedelta(minutes=settings.activation_lock_minutes),
        )
