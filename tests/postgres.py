"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl into a temporary folder,
listening on a unix socket there only. TEST_DATABASE_URL points at an existing server instead.

The Makefile installs Debian's postgresql package where no initdb is found. initdb refuses
to run as root, so as root the cluster belongs to the postgres user (the package creates it).
"""

from __future__ import annotations

import asyncio
import glob
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

if TYPE_CHECKING:
    from bot.settings import Settings


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL is needed for the tests: run `make test` (it installs the postgresql "
        "package), install it yourself, or set TEST_DATABASE_URL"
    )


def _version(path: str) -> int:
    part = Path(path).parents[1].name
    return int(part) if part.isdigit() else 0


@contextmanager
def cluster() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database, running until the block ends."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="merchant-bot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    options = (
        f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200"
    )
    try:
        subprocess.run(
            [
                *as_user,
                bindir / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                *as_user,
                bindir / "pg_ctl",
                "-D",
                data,
                "-o",
                options,
                "-l",
                folder / "log",
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://postgres@/postgres?host={folder}"
        finally:
            subprocess.run(
                [*as_user, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
                capture_output=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Runs a test once per backend (through make_settings' database): @on_both_backends.
on_both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def create_database(server_url: str) -> str:
    """fresh_database for synchronous fixtures (on a thread: the test's loop is not running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fresh_database(server_url)).result()


def remove_database(server_url: str, url: str) -> None:
    """drop_database for synchronous fixtures."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, drop_database(server_url, url)).result()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def fresh_database(server_url: str) -> str:
    """Create an empty database on the server; return its URL."""
    name = f"test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    """Remove a database made by fresh_database."""
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def read_rows(settings: Settings, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of a query (with ? placeholders) on the test's database, whichever backend it is
    on, committed at once: for tests that check or change what was stored while the bot runs."""
    where = settings.database
    if isinstance(where, Path):
        with sqlite3.connect(where) as db:
            return db.execute(sql, params).fetchall()

    from storage.postgres import numbered

    async def fetch() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(where)
        try:
            return [tuple(r) for r in await conn.fetch(numbered(sql), *params)]
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


async def every_row(url: str) -> list[tuple[str, list[str], list[tuple[Any, ...]]]]:
    """Every table of the database's public schema: (table, column names, rows)."""
    conn = await asyncpg.connect(url)
    try:
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        dumped = []
        for table in tables:
            statement = await conn.prepare(f'SELECT * FROM "{table}"')
            columns = [a.name for a in statement.get_attributes()]
            dumped.append((table, columns, [tuple(r) for r in await statement.fetch()]))
        return dumped
    finally:
        await conn.close()


async def relation_files(url: str) -> list[Path]:
    """The files on disk of this database's tables and indexes (dead row versions included),
    after a CHECKPOINT wrote every changed page there; [] when the server's data directory is
    not this machine's to read (TEST_DATABASE_URL, or no superuser)."""
    conn = await asyncpg.connect(url)
    try:
        try:
            await conn.execute("CHECKPOINT")
            data = Path(await conn.fetchval("SHOW data_directory"))
        except asyncpg.PostgresError:
            return []
        oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
    finally:
        await conn.close()
    folder = data / "base" / str(oid)
    if not os.access(folder, os.R_OK):
        return []
    return sorted(p for p in folder.iterdir() if p.is_file())


def point_cli_at(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The environment a `merchant-bot` command run in the test reads: the test's database
    (DATABASE_PATH, and DATABASE_URL on PostgreSQL) and DATA_DIR."""
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    if isinstance(settings.database, str):
        monkeypatch.setenv("DATABASE_URL", settings.database)
