"""The leader of two `merchant-bot run` processes on PostgreSQL is SIGKILLed in the middle of
a summary push: the other takes the lead within seconds, carries on with the push, and every
merchant gets the summary exactly once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sandbox.server import BotApiServer
from tests.e2e.harness import ChatUser
from tests.reliability.failover import (
    Fleet,
    instances,
    seed_shops,
    summaries_in,
    summary_states,
    wait_for,
)

SHOPS = 24


@pytest.mark.timeout(120)
async def test_leader_killed_mid_push_every_summary_delivered_exactly_once(
    pg_database: str, server: BotApiServer, tmp_path: Path
) -> None:
    fleet = Fleet(
        server,
        pg_database,
        tmp_path,
        # one summary at a time, a third of a second apart: the kill below falls between two
        settings={
            "SUMMARY_TICK_SECONDS": "1",
            "SUMMARY_MESSAGES_PER_SECOND": "3",
            "SUMMARY_PUSH_CONCURRENCY": "1",
        },
    )
    shops = await seed_shops(pg_database, fleet.key, SHOPS)
    for telegram_id in shops:
        server.add_user(telegram_id, f"店主{telegram_id}")

    def delivered() -> int:
        return sum(len(summaries_in(server, chat)) for chat in shops)

    merchant = ChatUser(server, 81999, "小冯")
    try:
        await fleet.spawn()
        await fleet.spawn()
        running = await wait_for(
            lambda: _both_up(pg_database), 60, "two instances, one of them leading"
        )
        (leader,) = [pid for pid, leads in running.items() if leads]

        async def pushing_and_between_two_sends() -> bool:
            # Nothing claimed and not yet sent: the leader waits for its next send slot.
            states = await summary_states(pg_database)
            return delivered() >= 4 and "claimed" not in states and states["sent"] == delivered()

        await wait_for(pushing_and_between_two_sends, 60, "the push to be under way", every=0.005)
        fleet.kill(leader)
        killed_at = time.monotonic()
        sent_by_first = delivered()
        assert sent_by_first < SHOPS  # the push really was cut in half

        async def new_leader() -> bool:
            running = await instances(pg_database)
            return any(leads for pid, leads in running.items() if pid != leader)

        await wait_for(new_leader, 20, "a new leader")
        took_over = time.monotonic() - killed_at
        # The new leader polls: a merchant writing now is answered, once.
        await merchant.send("/help")
        await merchant.reply(timeout=20)
        await wait_for(lambda: _done(delivered, SHOPS), 60, "every summary")
        await _quiet(1.5)
    finally:
        await fleet.stop()

    await merchant.silence(0.5)
    assert [len(summaries_in(server, chat)) for chat in shops] == [1] * SHOPS
    assert await summary_states(pg_database) == {"sent": SHOPS}
    print(f"new leader {took_over:.1f} s after the kill; {sent_by_first}/{SHOPS} sent before it")


async def _both_up(url: str) -> dict[int, bool] | None:
    running = await instances(url)
    return running if len(running) == 2 and sum(running.values()) == 1 else None


async def _done(delivered, total: int) -> bool:
    return delivered() >= total


async def _quiet(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)  # a duplicate, if any, would arrive now
