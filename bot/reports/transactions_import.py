"""Bringing transactions in: validating rows (shared with the ingest API) and the CSV import.

`merchant-bot import-transactions FILE.csv` stores every good row, reports each bad one
with its line number and touches nothing else; importing the same file again adds nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from bot.money import parse_yuan
from bot.settings import Settings
from storage import Storage
from storage.db import Tx
from storage.merchants import MerchantRepository
from storage.transactions import CHANNELS, TX_TYPES, NewTransaction, TransactionRepository

FIELDS = (
    "external_id",
    "merchant_no",
    "terminal_sn",
    "type",
    "amount",
    "fee",
    "channel",
    "occurred_at",
)
OPTIONAL_FIELDS = ("original_id",)  # the pre-auth a cancel/completion closes
MAX_ID_LENGTH = 64
BATCH_ROWS = 500  # rows per database transaction, so the bot is never blocked for long


class RowProblem(BaseModel):
    """A rejected row: its CSV line number (or batch index) and what was wrong."""

    where: int
    reason: str


class ImportReport(BaseModel):
    """What an import did."""

    added: int = 0
    duplicates: int = 0
    rejected: list[RowProblem] = []


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (missing, not CSV, wrong header)."""


def _text(raw: Mapping[str, object], name: str, max_length: int = MAX_ID_LENGTH) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing {name}")
    value = value.strip()
    if len(value) > max_length or not value.isprintable():
        raise ValueError(f"bad {name} {value[:80]!r}")
    return value


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _fen(raw: Mapping[str, object], name: str) -> int:
    value = raw.get(name)
    # Strings only: a JSON number would already have passed through a float.
    if not isinstance(value, str):
        raise ValueError(f'bad {name}: expected yuan as text, e.g. "12.50"')
    try:
        return parse_yuan(value)
    except ValueError:
        raise ValueError(f"bad {name} {value!r}: yuan with at most 2 decimals") from None


def parse_transaction(raw: Mapping[str, object]) -> NewTransaction:
    """One row (CSV or JSON) as a transaction; raises ValueError naming the first problem."""
    external_id = _text(raw, "external_id")
    merchant_no = _text(raw, "merchant_no")
    terminal_sn = _text(raw, "terminal_sn")
    kind, channel = _stripped(raw.get("type")), _stripped(raw.get("channel"))
    if kind not in TX_TYPES:
        raise ValueError(f"unknown type {kind!r} (one of {', '.join(TX_TYPES)})")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
    amount, fee = _fen(raw, "amount"), _fen(raw, "fee")
    if amount <= 0:
        raise ValueError("bad amount: must be more than 0")
    if fee > amount:
        raise ValueError("bad fee: larger than the amount")
    when = _stripped(raw.get("occurred_at"))
    try:
        occurred_at = datetime.fromisoformat(str(when))
    except ValueError:
        raise ValueError(f"bad time {when!r}: ISO 8601 expected") from None
    if occurred_at.tzinfo is None:
        raise ValueError(f"bad time {when!r}: needs a UTC offset such as +08:00")
    if not 2000 <= occurred_at.year <= 2100:
        raise ValueError(f"bad time {when!r}: not a plausible date")
    original_id = _text(raw, "original_id") if _stripped(raw.get("original_id")) else None
    return NewTransaction(
        external_id=external_id,
        merchant_no=merchant_no,
        terminal_sn=terminal_sn,
        type=kind,
        amount=amount,
        fee=fee,
        channel=channel,
        occurred_at=occurred_at,
        original_id=original_id,
    )


async def store_rows(
    tx: Tx, rows: Sequence[tuple[int, NewTransaction]], report: ImportReport
) -> None:
    """Store parsed rows, counting duplicates and rejecting unknown merchants and conflicts."""
    merchants, transactions = MerchantRepository(tx), TransactionRepository(tx)
    known: dict[str, bool] = {}
    for where, row in rows:
        if row.merchant_no not in known:
            known[row.merchant_no] = await merchants.get(row.merchant_no) is not None
        if not known[row.merchant_no]:
            report.rejected.append(
                RowProblem(where=where, reason=f"unknown merchant {row.merchant_no}")
            )
            continue
        outcome = await transactions.add(row)
        if outcome.status == "added":
            report.added += 1
        elif outcome.status == "duplicate":
            report.duplicates += 1
        else:
            report.rejected.append(
                RowProblem(
                    where=where,
                    reason=f"duplicate external_id {row.external_id} with different "
                    f"{', '.join(outcome.differs)}",
                )
            )


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and every data record with its line number; raises UnreadableFile."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: files saved by Excel start with a BOM
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path} is not a UTF-8 CSV file") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records, last_line = [], 0
    try:
        for record in reader:
            # A quoted field may span lines: a record starts after the previous one ended.
            if any(cell.strip() for cell in record):
                records.append((last_line + 1, record))
            last_line = reader.line_num
    except csv.Error as exc:
        raise UnreadableFile(f"{path} is not a CSV file: {exc}") from None
    if not records:
        raise UnreadableFile(f"{path} is empty; expected the header {','.join(FIELDS)}")
    header = [cell.strip() for cell in records[0][1]]
    if set(header) - set(OPTIONAL_FIELDS) != set(FIELDS) or len(set(header)) != len(header):
        raise UnreadableFile(
            f"{path} has the header {','.join(header)[:200]}; expected {','.join(FIELDS)}"
        )
    return header, records[1:]


async def import_transactions(storage: Storage, path: Path) -> ImportReport:
    """Import a CSV file of transactions; raises UnreadableFile if the file itself is bad."""
    header, records = read_csv(path)
    report = ImportReport()
    parsed: list[tuple[int, NewTransaction]] = []
    for line, record in records:
        try:
            if len(record) != len(header):
                raise ValueError(f"expected {len(header)} fields, got {len(record)}")
            parsed.append((line, parse_transaction(dict(zip(header, record, strict=True)))))
        except ValueError as exc:
            report.rejected.append(RowProblem(where=line, reason=str(exc)))
    # Every row was validated above; the database only decides duplicates and merchants.
    for start in range(0, len(parsed), BATCH_ROWS):
        async with storage.transaction() as repos:
            await store_rows(repos.tx, parsed[start : start + BATCH_ROWS], report)
    report.rejected.sort(key=lambda p: p.where)
    return report


def run_import(settings: Settings, path: Path) -> int:
    """`merchant-bot import-transactions FILE.csv`: print counts; 1 only if unreadable."""
    from bot.keys import keys_for

    async def go() -> ImportReport:
        storage = Storage(settings.database, keys_for(settings))
        await storage.open()
        try:
            return await import_transactions(storage, path)
        finally:
            await storage.close()

    try:
        report = asyncio.run(go())
    except UnreadableFile as exc:
        print(f"merchant-bot: {exc}", file=sys.stderr)
        return 1
    for problem in report.rejected:
        print(f"line {problem.where}: {problem.reason}")
    print(f"added {report.added}, duplicates {report.duplicates}, rejected {len(report.rejected)}")
    return 0
