"""POS transactions: idempotent storage by external id and the one aggregation behind summaries.

occurred_at is stored as UTC text 'YYYY-MM-DDTHH:MM:SSZ' (seconds; sub-second digits are
dropped), so text order is time order and a business day is a range scan on the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, field_validator

from storage.db import Tx, among, utcnow

TxType = Literal["sale", "void", "refund", "preauth", "preauth_cancel", "preauth_complete"]
Channel = Literal["card", "alipay", "wechat", "unionpay_qr"]
TX_TYPES: tuple[TxType, ...] = (
    "sale",
    "void",
    "refund",
    "preauth",
    "preauth_cancel",
    "preauth_complete",
)
CHANNELS: tuple[Channel, ...] = ("card", "alipay", "wechat", "unionpay_qr")
# Card schemes release an uncompleted pre-auth hold after 30 days.
HOLD_DAYS = 30
_CLOSES_HOLD = ("preauth_cancel", "preauth_complete")


def utc_text(moment: datetime) -> str:
    """The stored form of an instant: UTC, whole seconds, 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NewTransaction(BaseModel):
    """A transaction as reported by the acquirer; amount and fee are positive fen."""

    model_config = ConfigDict(frozen=True)

    external_id: str
    merchant_no: str
    terminal_sn: str
    type: TxType
    amount: int
    fee: int
    channel: Channel
    occurred_at: datetime
    # The pre-auth a cancel/completion closes; inferred on ingest when the source omits it.
    original_id: str | None = None

    @field_validator("occurred_at")
    @classmethod
    def _utc_seconds(cls, value: datetime) -> datetime:
        # Stored with whole seconds in UTC; normalise now so duplicates compare equal.
        if value.tzinfo is None:
            raise ValueError("occurred_at needs a UTC offset")
        return value.astimezone(UTC).replace(microsecond=0)


class Transaction(NewTransaction):
    """A stored transaction."""

    created_at: datetime


class AddOutcome(NamedTuple):
    """What storing one transaction did: added, duplicate (identical) or conflict."""

    status: Literal["added", "duplicate", "conflict"]
    differs: tuple[str, ...] = ()


class DayWindow(NamedTuple):
    """A business day of one time zone as the UTC interval [start, end)."""

    timezone: str
    day: date
    start: datetime
    end: datetime


class AggregateRow(NamedTuple):
    """Counts and sums for one merchant, day, terminal ('' when not detailed) and type."""

    merchant_no: str
    day: date | None  # None: the open pre-auth holds at the end of the detailed day
    terminal_sn: str
    type: TxType
    count: int
    amount: int
    fee: int
    via: str = ""  # detailed days: 'card' or 'scan' (Alipay, WeChat Pay, UnionPay QR)


_COMPARED = ("merchant_no", "terminal_sn", "type", "amount", "fee", "channel", "occurred_at")


def _differences(stored: Transaction, new: NewTransaction) -> tuple[str, ...]:
    fields = [f for f in _COMPARED if getattr(stored, f) != getattr(new, f)]
    if new.original_id is not None and new.original_id != stored.original_id:
        fields.append("original_id")
    return tuple(fields)


class TransactionRepository:
    """Plain-SQL access to transactions; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get(self, external_id: str) -> Transaction | None:
        """The stored transaction with this external id, or None."""
        row = await self.tx.fetchone(
            "SELECT * FROM transactions WHERE external_id = ?", (external_id,)
        )
        return Transaction.model_validate(dict(row)) if row else None

    async def add(self, new: NewTransaction) -> AddOutcome:
        """Store it unless its external id is known; the merchant must exist."""
        stored = await self.get(new.external_id)
        if stored is not None:
            differs = _differences(stored, new)
            return AddOutcome("conflict", differs) if differs else AddOutcome("duplicate")
        original_id = new.original_id
        if original_id is None and new.type in _CLOSES_HOLD:
            original_id = await self._open_hold_for(new)
        await self.tx.execute(
            "INSERT INTO transactions (merchant_no, occurred_at, external_id, terminal_sn, type,"
            " amount, fee, channel, original_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row(new.model_copy(update={"original_id": original_id})),
        )
        return AddOutcome("added")

    async def add_many(self, rows: Iterable[NewTransaction]) -> int:
        """Bulk insert ignoring known ids, with original_id given (demo, bench); returns added."""
        return await self.tx.executemany(
            "INSERT INTO transactions (merchant_no, occurred_at, external_id,"
            " terminal_sn, type, amount, fee, channel, original_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (_row(r) for r in rows),
        )

    async def between(self, merchant_no: str, start: datetime, end: datetime) -> list[Transaction]:
        """The merchant's transactions with start <= occurred_at < end, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM transactions WHERE merchant_no = ? AND occurred_at >= ?"
            " AND occurred_at < ? ORDER BY occurred_at, external_id",
            (merchant_no, utc_text(start), utc_text(end)),
        )
        return [Transaction.model_validate(dict(r)) for r in rows]

    async def aggregate(
        self,
        windows: Sequence[DayWindow],
        detail_days: Sequence[date],
        merchant_nos: Sequence[str] | None = None,
    ) -> list[AggregateRow]:
        """One pass over every merchant's days: GROUP BY merchant, day, terminal, type.

        Terminals are split out only for detail_days; for those days the open holds at the
        day's end come back too, as rows with day None.
        """
        if not windows:
            return []
        detail = {d.isoformat() for d in detail_days}
        wins: list[object] = []
        for w in windows:
            key = w.day.isoformat()
            wins += [w.timezone, key, utc_text(w.start), utc_text(w.end), int(key in detail)]
        holds: list[object] = []
        for w in windows:
            if w.day.isoformat() in detail:
                since = w.end - timedelta(days=HOLD_DAYS)
                holds += [w.timezone, utc_text(since), utc_text(w.end)]
        if merchant_nos is None:
            only, only_params = "", []
        else:
            wanted, only_params = among(self.tx, "m.merchant_no", merchant_nos)
            only = f" AND {wanted}"
        # The CAST types the column for PostgreSQL (untyped parameters there are text).
        win_values = ", ".join(["(?, ?, ?, ?, CAST(? AS INTEGER))"] * len(windows))
        hold_values = ", ".join(["(?, ?, ?)"] * (len(holds) // 3)) or "(NULL, NULL, NULL)"
        rows = await self.tx.fetchall(
            f"WITH win (timezone, day, start, finish, detail) AS (VALUES {win_values}),"
            f" hold (timezone, since, until) AS (VALUES {hold_values})"
            " SELECT t.merchant_no, w.day,"
            "  CASE WHEN w.detail = 1 THEN t.terminal_sn ELSE '' END AS terminal,"
            "  t.type, COUNT(*), SUM(t.amount), SUM(t.fee),"
            "  CASE WHEN w.detail = 0 THEN '' WHEN t.channel = 'card' THEN 'card'"
            "   ELSE 'scan' END AS via"
            # CROSS JOIN fixes the loop order (SQLite never reorders it): per merchant and
            # window one range seek on the (merchant_no, occurred_at) key. Left to itself
            # the planner scans the whole table once per window.
            " FROM merchants m CROSS JOIN win w CROSS JOIN transactions t"
            " WHERE w.timezone = m.timezone AND t.merchant_no = m.merchant_no"
            f"  AND t.occurred_at >= w.start AND t.occurred_at < w.finish{only}"
            " GROUP BY t.merchant_no, w.day, terminal, t.type, via"
            " UNION ALL"
            " SELECT p.merchant_no, NULL, '', 'preauth', COUNT(*), SUM(p.amount), 0, ''"
            " FROM merchants m JOIN hold h ON h.timezone = m.timezone"
            " JOIN transactions p ON p.merchant_no = m.merchant_no AND p.type = 'preauth'"
            "  AND p.occurred_at >= h.since AND p.occurred_at < h.until"
            f" WHERE NOT EXISTS (SELECT 1 FROM transactions c WHERE c.original_id = p.external_id"
            "  AND c.type IN ('preauth_cancel', 'preauth_complete') AND c.occurred_at < h.until)"
            f"{only}"
            " GROUP BY p.merchant_no",
            (*wins, *holds, *only_params, *only_params),
        )
        return [
            AggregateRow(r[0], date.fromisoformat(r[1]) if r[1] else None, *r[2:]) for r in rows
        ]

    async def _open_hold_for(self, closing: NewTransaction) -> str | None:
        # Sources without an original id: close the oldest open pre-auth on the same
        # terminal, preferring one of the same amount (a cancel releases the whole hold).
        row = await self.tx.fetchone(
            "SELECT p.external_id FROM transactions p"
            " WHERE p.merchant_no = ? AND p.type = 'preauth' AND p.terminal_sn = ?"
            "  AND p.occurred_at <= ? AND p.occurred_at >= ?"
            "  AND NOT EXISTS (SELECT 1 FROM transactions c WHERE c.original_id = p.external_id"
            "   AND c.type IN ('preauth_cancel', 'preauth_complete'))"
            " ORDER BY p.amount = ? DESC, p.occurred_at LIMIT 1",
            (
                closing.merchant_no,
                closing.terminal_sn,
                utc_text(closing.occurred_at),
                utc_text(closing.occurred_at - timedelta(days=HOLD_DAYS)),
                closing.amount,
            ),
        )
        return row[0] if row else None


def _row(t: NewTransaction) -> tuple[object, ...]:
    return (
        t.merchant_no,
        utc_text(t.occurred_at),
        t.external_id,
        t.terminal_sn,
        t.type,
        t.amount,
        t.fee,
        t.channel,
        t.original_id,
        utcnow().isoformat(),
    )
