"""`merchant-bot rotate-key`: everything re-encrypted under a new key, the old one retired."""

from __future__ import annotations

import asyncio
import base64
import secrets

import pytest

from bot.__main__ import main
from bot.crypto import DecryptionError
from bot.documents import DocumentStore
from bot.fulfilment.codes import generate_code, normalize_code
from bot.keys import KEY_FILE, keys_for, keys_from_master, read_key_file
from bot.settings import Settings
from storage import Storage
from tests.e2e.files import png
from tests.postgres import on_both_backends, point_cli_at

ID = "11010519491231002X"


async def _fill(settings: Settings) -> tuple[str, str]:
    keys = keys_for(settings)
    blob = DocumentStore(settings.data_dir / "documents", keys.cipher).put(png(1), "image/png")
    storage = Storage(settings.database, keys)
    await storage.open()
    code = generate_code()
    async with storage.transaction() as repos:
        await repos.users.upsert_seen(1, first_name="m", username=None, language_code="zh")
        app_id = await repos.applications.create_draft(1)
        await repos.applications.save_answer(
            app_id, "legal_rep_id", "11010519491231002X", sensitive=True
        )
        await repos.fulfilment.issue_code(app_id, normalize_code(code), code)
        # A message not delivered yet and an update not handled yet: encrypted, and pending
        await repos.outbox.put(1, "text", {"text": f"身份证 {ID}"})
        await repos.inbox.receive([(7, {"update_id": 7, "text": f"/activate SN1 {code}"})])
        # A conversation state (several instances): the serial typed after /activate
        await repos.sessions.put(1, {"locale": "zh-CN", "extras": {"serial": "SN1"}})
    await storage.close()
    return code, blob.sha256


async def _session(settings: Settings, keys) -> dict | None:
    """Person 1's conversation state as the next update would load it (None: unreadable)."""
    storage = Storage(settings.database, keys)
    await storage.open()
    try:
        async with storage.transaction() as repos:
            return await repos.sessions.get(1)
    finally:
        await storage.close()


async def _pending(settings: Settings, keys) -> tuple[list, list]:
    """The undelivered messages' texts and the unhandled updates."""
    storage = Storage(settings.database, keys)
    await storage.open()
    try:
        async with storage.transaction() as repos:
            messages = [item.payload["text"] for item in await repos.outbox.lease_due(10)]
            updates = await repos.inbox.pending()
            raise _Rollback((messages, updates))  # leave the leases untaken for the next read
    except _Rollback as done:
        return done.args[0]
    finally:
        await storage.close()


class _Rollback(Exception):
    pass


async def _read(settings: Settings, keys, code: str) -> tuple[str, str | None]:
    storage = Storage(settings.database, keys)
    await storage.open()
    async with storage.transaction() as repos:
        record = await repos.applications.draft_of(1)
        found = await repos.fulfilment.find_code(normalize_code(code))
    await storage.close()
    assert record is not None
    return record.answers["legal_rep_id"], found.code if found else None


@on_both_backends
def test_rotate_with_the_key_file(
    make_settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()
    code, sha = asyncio.run(_fill(settings))
    old = read_key_file(settings.data_dir / KEY_FILE)
    point_cli_at(monkeypatch, settings)

    assert main(["rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "re-encrypted 1 answers, 1 codes and 1 documents" in out
    assert "1 undelivered messages, 1 received updates, 1 conversation states" in out
    new = read_key_file(settings.data_dir / KEY_FILE)
    assert len(new) == 1 and new != old
    assert (settings.data_dir / KEY_FILE).stat().st_mode & 0o777 == 0o600

    # Everything reads with the new key alone, the code is still found by its hash ...
    assert asyncio.run(_read(settings, keys_for(settings), code)) == ("11010519491231002X", code)
    store = DocumentStore(settings.data_dir / "documents", keys_for(settings).cipher)
    assert store.get(sha) == png(1)
    # ... and nothing is readable with the old key any more.
    with pytest.raises(DecryptionError):
        DocumentStore(settings.data_dir / "documents", keys_from_master(old[0]).cipher).get(sha)
    with pytest.raises(DecryptionError):
        asyncio.run(_read(settings, keys_from_master(old[0]), code))
    # The queued message and the received update too.
    messages, updates = asyncio.run(_pending(settings, keys_for(settings)))
    assert messages == [f"身份证 {ID}"] and [u for u, _ in updates] == [7]
    with pytest.raises(DecryptionError):
        asyncio.run(_pending(settings, keys_from_master(old[0])))
    # The conversation state reads with the new key alone, not with the old one.
    assert asyncio.run(_session(settings, keys_for(settings))) == {
        "locale": "zh-CN",
        "extras": {"serial": "SN1"},
    }
    assert asyncio.run(_session(settings, keys_from_master(old[0]))) is None


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@on_both_backends
def test_rotate_with_encryption_key_setting(
    make_settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _key(), _key()
    settings = make_settings(encryption_key=old)
    code, _ = asyncio.run(_fill(settings))
    point_cli_at(monkeypatch, settings)
    monkeypatch.setenv("ENCRYPTION_KEY", old)
    assert main(["rotate-key"]) == 2  # one key: says how to add the new one first
    assert "ENCRYPTION_KEY=<new>,<old>" in capsys.readouterr().out

    monkeypatch.setenv("ENCRYPTION_KEY", f"{new},{old}")
    assert main(["rotate-key"]) == 0
    only_new = make_settings(encryption_key=new)
    assert asyncio.run(_read(only_new, keys_for(only_new), code)) == ("11010519491231002X", code)
    messages, updates = asyncio.run(_pending(only_new, keys_for(only_new)))
    assert messages == [f"身份证 {ID}"] and [u for u, _ in updates] == [7]
    assert asyncio.run(_session(only_new, keys_for(only_new)))["extras"] == {"serial": "SN1"}


async def _duplicates_of_id(settings: Settings) -> list[str]:
    """Applications holding ID, as the review card's duplicate check finds them."""
    storage = Storage(settings.database_path, keys_for(settings))
    await storage.open()
    try:
        async with storage.transaction() as repos:
            found = await repos.checks.duplicates(0, {"legal_rep_id": ID})
    finally:
        await storage.close()
    return [d.field for d in found]


def test_the_duplicate_check_still_finds_identifiers_after_a_rotation(
    make_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = _key(), _key()
    settings = make_settings(encryption_key=old)
    asyncio.run(_fill(settings))

    async def submitted() -> None:
        storage = Storage(settings.database_path, keys_for(settings))
        await storage.open()
        async with storage.transaction() as repos:
            await repos.tx.execute("UPDATE applications SET state = 'submitted'")
        await storage.close()

    asyncio.run(submitted())
    assert asyncio.run(_duplicates_of_id(settings)) == ["legal_rep_id"]
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ENCRYPTION_KEY", f"{new},{old}")
    assert main(["rotate-key"]) == 0
    # With the old key gone, the index under the new key still finds it.
    assert asyncio.run(_duplicates_of_id(make_settings(encryption_key=new))) == ["legal_rep_id"]
