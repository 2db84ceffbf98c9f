"""The inbox: updates stored encrypted, redeliveries recognised, nothing kept once acknowledged."""

from __future__ import annotations

from storage import Storage

UPDATE = {"update_id": 5, "message": {"text": "身份证 11010519491231002X"}}


async def test_updates_are_stored_encrypted_and_read_back(storage: Storage) -> None:
    async with storage.transaction() as repos:
        assert await repos.inbox.receive([(5, UPDATE)]) == [5]
        stored = await repos.tx.fetchone("SELECT payload FROM inbox")
        assert await repos.inbox.pending() == [(5, UPDATE)]
    assert stored is not None and stored["payload"].startswith("v1:")
    assert "11010519491231002X" not in stored["payload"]


async def test_a_redelivery_is_recognised_and_a_reused_id_is_not(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.inbox.receive([(5, UPDATE)])
        await repos.inbox.done(5)
        assert await repos.inbox.receive([(5, UPDATE)]) == []  # handled, not acknowledged
        other = {"update_id": 5, "message": {"text": "something else"}}
        assert await repos.inbox.receive([(5, other)]) == [5]  # a new update, same id
        assert await repos.inbox.pending() == [(5, other)]


async def test_an_acknowledged_update_leaves_no_row(storage: Storage) -> None:
    async with storage.transaction() as repos:
        await repos.inbox.receive([(5, UPDATE), (6, {"update_id": 6})])
        await repos.inbox.done(5)
        assert await repos.inbox.handled() == [5]
        await repos.inbox.forget([5])
        rows = await repos.tx.fetchall("SELECT update_id FROM inbox")
    assert [r["update_id"] for r in rows] == [6]
