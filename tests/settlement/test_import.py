"""Importing a CSV of transactions: good rows stored, bad rows reported by line, idempotent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.keys import keys_for
from bot.reports.transactions_import import UnreadableFile, import_transactions, run_import
from storage import Storage
from storage.transactions import TransactionRepository
from tests.settlement.conftest import add_merchant

HEADER = "external_id,merchant_no,terminal_sn,type,amount,fee,channel,occurred_at"
GOOD = [
    "T1,M3301000001,SN01,sale,12.50,0.08,wechat,2026-11-25T12:00:00+08:00",
    "T2,M3301000001,SN01,refund,2,0,alipay,2026-11-25T04:10:00Z",
    "T3,M3301000001,SN02,preauth,500.00,0,card,2026-11-25T20:00:00+08:00",
]


def _write(tmp_path: Path, *lines: str, name: str = "tx.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode())
    return path


async def test_good_rows_are_stored_and_bad_rows_reported_by_line(
    storage: Storage, tmp_path: Path
) -> None:
    await add_merchant(storage)
    path = _write(
        tmp_path,
        HEADER,
        GOOD[0],
        "T4,M9999999999,SN01,sale,1.00,0,card,2026-11-25T12:00:00+08:00",
        "T5,M3301000001,SN01,sale,12.345,0,card,2026-11-25T12:00:00+08:00",
        "T6,M3301000001,SN01,gift,1.00,0,card,2026-11-25T12:00:00+08:00",
        "T7,M3301000001,SN01,sale,1.00,0,cash,2026-11-25T12:00:00+08:00",
        "T8,M3301000001,SN01,sale,1.00,0,card,2026-11-25 12:00:00",
        GOOD[1],
        "T1,M3301000001,SN01,sale,12.50,0.08,wechat,2026-11-25T12:00:00+08:00",
        "T1,M3301000001,SN01,sale,99.00,0.08,wechat,2026-11-25T12:00:00+08:00",
        "T9,M3301000001,SN01,sale,-1.00,0,card,2026-11-25T12:00:00+08:00",
        "T10,M3301000001,SN01,sale",
        GOOD[2],
        "T11,M3301000001,SN01,sale,1.00,0,card,0001-01-01T00:00:00+08:00",
    )
    report = await import_transactions(storage, path)
    assert (report.added, report.duplicates) == (3, 1)
    reasons = {p.where: p.reason for p in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 10, 11, 12, 14]
    assert "unknown merchant" in reasons[3]
    assert "bad amount" in reasons[4] and "bad amount" in reasons[11]
    assert "unknown type" in reasons[5]
    assert "unknown channel" in reasons[6]
    assert "bad time" in reasons[7] and "bad time" in reasons[14]
    assert "different amount" in reasons[10]
    assert "fields" in reasons[12]
    async with storage.transaction() as repos:
        stored = await TransactionRepository(repos.tx).get("T1")
    assert stored is not None and (stored.amount, stored.fee) == (1250, 8)


async def test_importing_the_same_file_twice_adds_nothing(storage: Storage, tmp_path: Path) -> None:
    await add_merchant(storage)
    path = _write(tmp_path, HEADER, *GOOD)
    first = await import_transactions(storage, path)
    second = await import_transactions(storage, path)
    assert (first.added, first.duplicates) == (3, 0)
    assert (second.added, second.duplicates, second.rejected) == (0, 3, [])


async def test_a_file_saved_by_excel_with_a_bom_imports(storage: Storage, tmp_path: Path) -> None:
    await add_merchant(storage)
    report = await import_transactions(storage, _write(tmp_path, HEADER, *GOOD, bom=True))
    assert report.added == 3


@pytest.mark.parametrize(
    "content",
    [b"external_id,amount\nT1,1.00\n", b"\x89PNG\r\n\x1a\n\x00\xff\xfe", b""],
    ids=["wrong header", "not text", "empty"],
)
async def test_a_file_that_is_not_a_transactions_csv_is_refused_whole(
    storage: Storage, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile):
        await import_transactions(storage, path)


def test_command_prints_counts_and_fails_only_for_unreadable_files(
    make_settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()

    async def setup() -> None:
        storage = Storage(settings.database_path, keys_for(settings))
        await storage.open()
        await add_merchant(storage)
        await storage.close()

    asyncio.run(setup())
    path = _write(tmp_path, HEADER, *GOOD, "X,M3301000001,SN01,sale,abc,0,card,2026-11-25T12:00Z")

    assert run_import(settings, path) == 0
    out = capsys.readouterr().out
    assert "added 3, duplicates 0, rejected 1" in out and "line 5: bad amount" in out
    assert run_import(settings, tmp_path / "missing.csv") == 1
    assert "cannot read" in capsys.readouterr().err
