"""The inbox on PostgreSQL shared by instances: an update stored by two at the same moment
(a webhook redelivered to another instance) is new to exactly one of them."""

from __future__ import annotations

import asyncio
import secrets

from bot.keys import keys_from_master
from storage import Storage
from storage.inbox import chat_key

UPDATE = {"update_id": 7, "message": {"message_id": 1, "chat": {"id": 42}, "text": "hi"}}


async def test_the_same_update_stored_by_two_instances_at_once_is_new_to_one(
    pg_database: str,
) -> None:
    keys = keys_from_master(secrets.token_bytes(32))
    first, second = Storage(pg_database, keys), Storage(pg_database, keys)
    await first.open()
    await second.open()
    try:

        async def receive(storage: Storage, update_id: int) -> list[int]:
            async with storage.transaction() as repos:
                return await repos.inbox.receive([(update_id, {**UPDATE, "update_id": update_id})])

        for update_id in range(100, 130):
            results = await asyncio.gather(receive(first, update_id), receive(second, update_id))
            assert sorted(results) == [[], [update_id]]
        async with first.transaction() as repos:
            assert await repos.inbox.waiting_chats() == [42]
            assert len(await repos.inbox.pending_of(42)) == 30
    finally:
        await first.close()
        await second.close()


def test_an_update_belongs_to_its_chat_else_its_sender() -> None:
    assert chat_key(UPDATE) == 42
    press = {
        "update_id": 1,
        "callback_query": {"id": "q", "from": {"id": 5}, "message": {"chat": {"id": -100}}},
    }
    assert chat_key(press) == -100
    assert chat_key({"update_id": 2, "inline_query": {"id": "i", "from": {"id": 9}}}) == 9
    assert chat_key({"update_id": 3, "poll": {"id": "p"}}) == 0
