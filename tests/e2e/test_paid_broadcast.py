"""SUMMARY_PAID_BROADCAST: the daily summary push flags its sends and leaves the 30/s budget.

The local Bot API server enforces Telegram's limits here (30 messages/s, 1,000/s for sends
flagged allow_paid_broadcast), so a push that went out at the paid rate unflagged would be
answered 429.
"""

from __future__ import annotations

import pytest

from bot.reports import settlement
from bot.settings import Settings
from sandbox.limits import FloodLimits
from sandbox.server import BotApiServer
from tests.e2e.conftest import BotRunner
from tests.e2e.harness import ChatUser
from tests.e2e.test_summaries import AFTER_SUMMARY, EVENING, Clock, seed, summaries_of


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock(EVENING)
    monkeypatch.setattr(settlement, "clock", stopped)
    return stopped


@pytest.fixture
def settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(update={"summary_tick_seconds": 0.2})


def summary_sends(server: BotApiServer) -> list[dict]:
    return [p for name, p in server.calls if name == "sendmessage" and "日结算单" in p["text"]]


async def test_with_paid_broadcast_every_summary_is_flagged_and_none_is_refused(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    shops = [(f"8223301000030{n:02d}", f"店{n}", 10300 + n) for n in range(40)]
    await seed(settings, shops)
    users = [ChatUser(server, telegram_id, name) for _, name, telegram_id in shops]
    server.flood = FloodLimits()
    paid = settings.model_copy(
        update={"summary_paid_broadcast": True, "summary_push_concurrency": 16}
    )
    clock.moment = AFTER_SUMMARY
    await run_bot(paid)
    for user in users:
        await user.expect("日结算单", timeout=20)
    sends = summary_sends(server)
    assert len(sends) == 40 and all(p.get("allow_paid_broadcast") is True for p in sends)
    assert server.flood.rejected == 0
    assert server.flood.paid_accepted == 40
    assert [len(summaries_of(u)) for u in users] == [1] * 40


async def test_without_it_summaries_are_sent_unflagged_within_30_a_second(
    server: BotApiServer, settings: Settings, run_bot: BotRunner, clock: Clock
) -> None:
    shops = [(f"8223301000031{n:02d}", f"店{n}", 10400 + n) for n in range(5)]
    await seed(settings, shops)
    users = [ChatUser(server, telegram_id, name) for _, name, telegram_id in shops]
    server.flood = FloodLimits()
    clock.moment = AFTER_SUMMARY
    await run_bot(settings)
    for user in users:
        await user.expect("日结算单", timeout=20)
    sends = summary_sends(server)
    assert len(sends) == 5 and not any("allow_paid_broadcast" in p for p in sends)
    assert server.flood.paid_accepted == 0
