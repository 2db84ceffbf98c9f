"""The leader of two `merchant-bot run` processes on PostgreSQL is SIGKILLed in the middle of
a summary push, while summaries are claimed and on their way: the other takes the lead within
seconds, takes over the dead leader's claims at once (not after 15 minutes) and carries on, and
every merchant gets the summary; only those in flight at the kill may arrive twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from sandbox.methods_messages import send_message
from sandbox.methods_misc import METHODS
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
async def test_leader_killed_mid_push_every_summary_delivered(
    pg_database: str, server: BotApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = Fleet(
        server,
        pg_database,
        tmp_path,
        # two summaries on their way at a time, each taking 0.6 s to reach "Telegram"
        settings={
            "SUMMARY_TICK_SECONDS": "1",
            "SUMMARY_MESSAGES_PER_SECOND": "4",
            "SUMMARY_PUSH_CONCURRENCY": "2",
        },
    )
    shops = await seed_shops(pg_database, fleet.key, SHOPS)
    for telegram_id in shops:
        server.add_user(telegram_id, f"店主{telegram_id}")

    async def slow_to_shops(state, params):  # type: ignore[no-untyped-def]
        if params.get_int("chat_id") in shops:
            await asyncio.sleep(0.6)  # the kill falls while summaries are claimed, unsent
        return await send_message(state, params)

    monkeypatch.setitem(METHODS, "sendmessage", slow_to_shops)

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

        async def pushing_with_claims_in_flight() -> int:
            states = await summary_states(pg_database)
            return states.get("claimed", 0) if delivered() >= 4 else 0

        in_flight = await wait_for(
            pushing_with_claims_in_flight, 60, "claims in flight", every=0.005
        )
        fleet.kill(leader)
        killed_at = time.monotonic()
        await fleet.reaped(leader)
        # What the dead leader left claimed is what was in flight at the kill (another claim
        # may have been taken between the wait above and the kill).
        left_claimed = (await summary_states(pg_database)).get("claimed", 0)
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
        # The dead leader's claims are taken over at once (GONE_CLAIM, 10 s), not after 15 min.
        await wait_for(lambda: _all_sent(pg_database, SHOPS), 60, "every summary marked sent")
        all_delivered = time.monotonic() - killed_at
        await _quiet(1.5)
    finally:
        await fleet.stop()

    await merchant.silence(0.5)
    counts = [len(summaries_in(server, chat)) for chat in shops]
    assert 0 not in counts  # none lost
    # Telegram's sendMessage has no idempotency key: a summary that reached Telegram just
    # before the kill, but was not yet marked sent, is sent again by the new leader. So the
    # design guarantees no loss and at most one repeat per claim in flight at the kill, not
    # zero duplicates; every other merchant gets exactly one.
    twice = sum(1 for c in counts if c > 1)
    assert max(counts) <= 2 and twice <= left_claimed, (counts, in_flight, left_claimed)
    assert await summary_states(pg_database) == {"sent": SHOPS}
    print(
        f"new leader {took_over:.1f} s after the kill; {sent_by_first}/{SHOPS} sent before it;"
        f" {left_claimed} in flight, {twice} of them repeated; all sent {all_delivered:.1f} s after"
    )


async def _all_sent(url: str, total: int) -> bool:
    return await summary_states(url) == {"sent": total}


async def _both_up(url: str) -> dict[int, bool] | None:
    running = await instances(url)
    return running if len(running) == 2 and sum(running.values()) == 1 else None


async def _quiet(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)  # a duplicate, if any, would arrive now
