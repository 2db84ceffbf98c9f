"""The outbox: dedupe, leases, retries, and each chat's messages kept in order."""

from __future__ import annotations

from datetime import timedelta

from storage import Storage
from storage.db import utcnow


async def _lease(storage: Storage, limit: int = 10, later: float = 0) -> list[tuple[int, str]]:
    async with storage.transaction() as repos:
        items = await repos.outbox.lease_due(limit, now=utcnow() + timedelta(seconds=later))
    return [(i.chat_id, i.payload["text"]) for i in items]


async def test_a_chat_waits_while_its_earlier_message_is_retried(storage: Storage) -> None:
    async with storage.transaction() as repos:
        for chat, text in [(1, "a1"), (2, "b1"), (1, "a2"), (2, "b2")]:
            await repos.outbox.put(chat, "text", {"text": text})
    assert await _lease(storage) == [(1, "a1"), (2, "b1")]  # one per chat, the oldest
    async with storage.transaction() as repos:
        await repos.outbox.mark_sent(2)  # b1 delivered
        await repos.outbox.retry_later(1, "502", timedelta(seconds=30))  # a1 failed
    # b2 may go; a2 must not overtake a1 even though a2 itself is due.
    assert await _lease(storage) == [(2, "b2")]
    assert await _lease(storage, later=31) == [(1, "a1")]


async def test_dedupe_key_queues_once_and_leases_are_exclusive(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.outbox.put(1, "text", {"text": "x"}, dedupe_key="k")
        assert not await repos.outbox.put(1, "text", {"text": "x"}, dedupe_key="k")
    assert await _lease(storage) == [(1, "x")]
    assert await _lease(storage) == []  # leased: no second sender gets it
    assert await _lease(storage, later=61) == [(1, "x")]  # the lease ran out: retried


async def test_a_deferred_message_lets_later_ones_to_its_chat_go_first(storage: Storage) -> None:
    async with storage.transaction() as repos:
        later = utcnow() + timedelta(seconds=10)
        await repos.outbox.put(1, "text", {"text": "batch"}, not_before=later)
        await repos.outbox.put(1, "text", {"text": "card"})
    assert await _lease(storage) == [(1, "card")]
    async with storage.transaction() as repos:
        await repos.outbox.mark_sent(2)
        await repos.outbox.put(1, "text", {"text": "after"})
    # Once due, it is in front of whatever came after it.
    assert await _lease(storage, later=11) == [(1, "batch")]
