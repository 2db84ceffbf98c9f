"""DATA_DIR, the database with its -wal and -shm, and every document are the bot's alone,
whatever the key source and the umask, and also when an older version left them readable."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import build_application
from bot.crypto import generate_key
from bot.settings import Settings
from tests.e2e.files import png


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(database: Path, document: Path) -> dict[str, object]:
    """The modes that matter, by what they are."""
    root = document.parent.parent.parent
    return {
        "data dir": mode(root.parent),
        "database": mode(database),
        "-wal": mode(Path(f"{database}-wal")),
        "-shm": mode(Path(f"{database}-shm")),
        "document": mode(document),
        "document dirs": {mode(d) for d in (document.parent, document.parent.parent, root)},
    }


def leave_readable(data_dir: Path, database: Path) -> Path:
    """What an older version left: DATA_DIR 0755; the database, a document and a key file
    copied in by hand 0644."""
    (data_dir / "documents" / "ab").mkdir(parents=True)
    old_document = data_dir / "documents" / "ab" / "old"
    old_document.write_bytes(b"ciphertext")
    database.write_bytes(b"")
    Path(f"{database}-wal").write_bytes(b"")
    (data_dir / "encryption.key").write_text(generate_key() + "\n")
    for path, loose in [(data_dir, 0o755), (old_document, 0o644), (database, 0o644)]:
        os.chmod(path, loose)
    return old_document


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would make new files readable by everyone (0644, 0755)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize("key_source", ["ENCRYPTION_KEY", "key file"])
async def test_data_dir_database_wal_shm_and_documents_are_private(
    make_settings, tmp_path: Path, key_source: str, open_umask: None
) -> None:
    data_dir = tmp_path / "data"
    settings: Settings = make_settings(
        data_dir=data_dir,
        database_path=data_dir / "merchant-bot.sqlite3",
        encryption_key=SecretStr(generate_key()) if key_source == "ENCRYPTION_KEY" else None,
    )
    app = build_application(settings)
    storage, documents = app.bot_data.storage, app.bot_data.documents
    await storage.open()
    try:
        async with storage.transaction() as repos:
            await repos.outbox.put(1, "text", {"text": "hello"})
            secure_delete = await repos.tx.fetchone("PRAGMA secure_delete")
        blob = documents.put(png(1), "image/png")
        assert modes(settings.database_path, blob.path) == {
            "data dir": 0o700,
            "database": 0o600,
            "-wal": 0o600,
            "-shm": 0o600,
            "document": 0o600,
            "document dirs": {0o700},
        }
        assert secure_delete is not None and secure_delete[0] == 1
    finally:
        await storage.close()


async def test_what_an_older_version_left_readable_is_made_private(
    make_settings, tmp_path: Path, open_umask: None
) -> None:
    data_dir = tmp_path / "data"
    database = data_dir / "merchant-bot.sqlite3"
    old_document = leave_readable(data_dir, database)
    settings: Settings = make_settings(data_dir=data_dir, database_path=database)
    app = build_application(settings)
    await app.bot_data.storage.open()
    try:
        assert modes(database, old_document) == {
            "data dir": 0o700,
            "database": 0o600,
            "-wal": 0o600,
            "-shm": 0o600,
            "document": 0o600,
            "document dirs": {0o700},
        }
        assert mode(data_dir / "encryption.key") == 0o600
    finally:
        await app.bot_data.storage.close()
