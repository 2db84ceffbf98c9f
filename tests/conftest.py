"""Fixtures shared by every test: settings built in the test, never from the real environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.postgres import (
    cluster,
    create_database,
    drop_database,
    fresh_database,
    remove_database,
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings must come from the test, not from the developer's shell or a stray .env.
    # Every setting (and any added later), by its environment name.
    for name in sorted({field.upper() for field in Settings.model_fields} | {"BOT_TOKEN"}):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database make_settings gives: SQLite unless a test is @on_both_backends."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def make_settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest):
    """Build Settings for a test with a fresh database: a file under tmp_path, or a fresh
    PostgreSQL database (DATABASE_URL) when the test runs on that backend."""
    url = request.getfixturevalue("pg_database") if backend == "postgresql" else None

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_path": tmp_path / "bot.sqlite3",
            "database_url": url,
            "data_dir": tmp_path / "data",
            "poll_timeout_seconds": 1.0,
            # OCR prefill reorders the form and starts a worker: only its own tests turn it on.
            "ocr_enabled": False,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL server for the whole run (or TEST_DATABASE_URL's)."""
    with cluster() as url:
        yield url


@pytest.fixture
def pg_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database's URL."""
    url = create_database(postgres_server)
    yield url
    remove_database(postgres_server, url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path | str]:
    """Where a test's Storage keeps its data, once per backend: a SQLite file under
    tmp_path, or a fresh, empty PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "db" / "test.sqlite3"
        return
    server = request.getfixturevalue("postgres_server")
    url = await fresh_database(server)
    yield url
    await drop_database(server, url)
