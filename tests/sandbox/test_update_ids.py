"""Update ids keep rising when the sandbox restarts, as Telegram's never repeat: a bot that
claims each update once must not take a press after a restart for one it already handled."""

from __future__ import annotations

import asyncio

from sandbox.state import SandboxState


def _state() -> SandboxState:
    return SandboxState(bot_id=1, bot_username="b", bot_first_name="B", files_dir=None)


async def test_a_restarted_sandbox_never_reuses_an_update_id() -> None:
    before = _state()
    for _ in range(3):
        before.enqueue("message", {"text": "hi"})
    last = before.take_updates(10)[-1]["update_id"]
    await asyncio.sleep(1.0)  # a restart takes at least a second; 8 ids a second are kept
    after = _state()
    after.enqueue("message", {"text": "hi again"})
    first = after.take_updates(10)[0]["update_id"]
    assert first > last
    assert len(str(first)) <= 10  # short like Telegram's; logs do not mask it as an account
