"""Prometheus metrics of one bot process, served at /metrics by bot/ops.py.

The counters are fed through small hooks so that whatever handles updates, sends or pushes
can report without knowing prometheus_client:

- ``observe_update(seconds)`` once per update handled (``instrument(app)`` calls it around
  ``Application.process_update``, which every update path goes through);
- ``rate_limited(method)`` for every 429 Telegram answers (bot/delivery.py);
- ``summary_pushed(outcome, paid=...)`` for every daily summary the push settles
  (scheduler/summaries.py).

The gauges that describe shared state (outbox depth and age, the instance's role) are set
by ``exposition()`` at scrape time from values bot/ops.py reads then, so they are never stale.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

__all__ = [
    "CONTENT_TYPE",
    "ROLES",
    "exposition",
    "instrument",
    "observe_update",
    "rate_limited",
    "summary_pushed",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
ROLES = ("leader", "follower", "single")

# This process's own registry: importing the bot in a test or a bench registers nothing global.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # CPU seconds, resident memory, open files

UPDATES = Counter(
    "merchant_bot_updates_handled",
    "Telegram updates handled by this instance",
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "merchant_bot_update_handling_seconds",
    "Time from the start of handling an update to its end (handlers, database, replies)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
SUMMARIES = Counter(
    "merchant_bot_summary_pushes",
    "Daily summaries the push settled, by outcome and by rate budget (free 30/s or paid)",
    ["outcome", "broadcast"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "merchant_bot_telegram_429",
    "Bot API calls answered 429 Too Many Requests, by method",
    ["method"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "merchant_bot_outbox_depth",
    "Messages waiting in the outbox (not yet sent, not given up)",
    registry=REGISTRY,
)
OUTBOX_AGE = Gauge(
    "merchant_bot_outbox_oldest_age_seconds",
    "Age of the oldest message waiting in the outbox (0 when it is empty)",
    registry=REGISTRY,
)
LEADER = Gauge(
    "merchant_bot_leader",
    "1 when this instance runs the timed jobs (leader, or the only instance), else 0",
    registry=REGISTRY,
)
ROLE = Gauge(
    "merchant_bot_role",
    "This instance's role in the cluster: 1 for the current one",
    ["role"],
    registry=REGISTRY,
)


def observe_update(seconds: float) -> None:
    """Count one handled update and how long it took."""
    UPDATES.inc()
    UPDATE_SECONDS.observe(seconds)


def rate_limited(method: str) -> None:
    """Count a 429 from Telegram."""
    RATE_LIMITED.labels(method=method).inc()


def summary_pushed(outcome: str, *, paid: bool) -> None:
    """Count one daily summary settled by the push (sent, blocked, failed, deferred)."""
    SUMMARIES.labels(outcome=outcome, broadcast="paid" if paid else "free").inc()


def instrument(app: Any) -> None:
    """Time every update through ``app.process_update`` (a PTB Application), once per app."""
    original: Callable[[object], Awaitable[None]] = app.process_update
    if getattr(original, "_merchant_bot_timed", False):
        return

    async def process_update(update: object) -> None:
        started = time.perf_counter()
        try:
            await original(update)
        finally:
            observe_update(time.perf_counter() - started)

    process_update._merchant_bot_timed = True  # type: ignore[attr-defined]
    app.process_update = process_update


def exposition(*, role: str, outbox_depth: int, outbox_oldest_age: float) -> bytes:
    """The text format Prometheus scrapes, with the scrape-time gauges set first."""
    OUTBOX_DEPTH.set(outbox_depth)
    OUTBOX_AGE.set(outbox_oldest_age)
    LEADER.set(1 if role in ("leader", "single") else 0)
    for name in {*ROLES, role}:
        ROLE.labels(role=name).set(1 if name == role else 0)
    return generate_latest(REGISTRY)
