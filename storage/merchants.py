"""Merchants with a POS machine, and the bookkeeping of their daily summary deliveries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from storage.applications import ApplicationRecord
from storage.db import Tx, among, utcnow

# 商户号: 15 digits, sequential (prefix 8223301 + 8-digit serial).
FIRST_MERCHANT_NO = "822330100000001"
# How far back a missed summary is still sent (a restart after a weekend catches up).
CATCH_UP_DAYS = 3
# A claim this old without mark_sent/mark_failed belongs to a process that died mid-send.
STALE_CLAIM = timedelta(minutes=15)
# A claim whose instance is gone (PostgreSQL: no connection of it left) is taken over once this
# old: a stopping instance finishes its sends in flight after handing on the lead.
GONE_CLAIM = timedelta(seconds=10)
_SUMMARY_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")  # ASCII digits only
# Numbers given on approval; demo data uses 8223309… so the two never collide.
_MERCHANT_NO_GLOB = "8223301" + "[0-9]" * 8
_MERCHANT_NO_REGEX = "^8223301[0-9]{8}$"  # the same, for PostgreSQL (no GLOB there)


class Merchant(BaseModel):
    """A merchant: who they are on Telegram, their time zone and summary preferences."""

    merchant_no: str
    telegram_id: int | None = None
    name: str
    timezone: str
    summary_time: str = "21:30"
    summaries_enabled: bool = True
    application_id: int | None = None
    created_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        """The merchant's time zone; business days are dates there."""
        return ZoneInfo(self.timezone)


class DueSummary(NamedTuple):
    """A summary that should go out now; late = catch-up for a day that has already ended."""

    merchant: Merchant
    business_day: date
    late: bool


def normalize_summary_time(text: str) -> str:
    """'9:05' -> '09:05'; raises ValueError unless it is a time of day."""
    match = _SUMMARY_TIME.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not a time of day HH:MM: {text!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


class MerchantRepository:
    """Plain-SQL access to the merchants table; the caller owns the transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(
        self,
        merchant_no: str,
        name: str,
        telegram_id: int | None,
        timezone: str,
        application_id: int | None = None,
    ) -> Merchant:
        """Register a merchant (on approval, import or demo); raises ValueError on a bad zone."""
        _check_timezone(timezone)
        await self.tx.execute(
            "INSERT INTO merchants (merchant_no, telegram_id, name, timezone, application_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (merchant_no, telegram_id, name, timezone, application_id, utcnow().isoformat()),
        )
        merchant = await self.get(merchant_no)
        assert merchant is not None
        return merchant

    async def get(self, merchant_no: str) -> Merchant | None:
        """The merchant, or None."""
        row = await self.tx.fetchone(
            "SELECT * FROM merchants WHERE merchant_no = ?", (merchant_no,)
        )
        return Merchant.model_validate(dict(row)) if row else None

    async def by_telegram(self, telegram_id: int) -> list[Merchant]:
        """Every merchant linked to this Telegram user (one person may own several shops)."""
        rows = await self.tx.fetchall(
            "SELECT * FROM merchants WHERE telegram_id = ? ORDER BY merchant_no", (telegram_id,)
        )
        return [Merchant.model_validate(dict(r)) for r in rows]

    async def many(self, merchant_nos: Sequence[str] | None = None) -> list[Merchant]:
        """The given merchants (all when None), ordered by number."""
        if merchant_nos is None:
            rows = await self.tx.fetchall("SELECT * FROM merchants ORDER BY merchant_no")
        else:
            wanted, params = among(self.tx, "merchant_no", merchant_nos)
            rows = await self.tx.fetchall(
                f"SELECT * FROM merchants WHERE {wanted} ORDER BY merchant_no", params
            )
        return [Merchant.model_validate(dict(r)) for r in rows]

    async def timezones(self) -> list[str]:
        """The distinct time zones merchants are in (usually one or two)."""
        rows = await self.tx.fetchall("SELECT DISTINCT timezone FROM merchants ORDER BY 1")
        return [r[0] for r in rows]

    async def link_telegram(self, merchant_no: str, telegram_id: int | None) -> None:
        """Attach the merchant to a Telegram user (or detach with None)."""
        await self.tx.execute(
            "UPDATE merchants SET telegram_id = ? WHERE merchant_no = ?", (telegram_id, merchant_no)
        )

    async def set_summary_time(self, merchant_no: str, summary_time: str) -> None:
        """Change the local time of the daily summary; raises ValueError unless HH:MM."""
        await self.tx.execute(
            "UPDATE merchants SET summary_time = ? WHERE merchant_no = ?",
            (normalize_summary_time(summary_time), merchant_no),
        )

    async def set_summaries_enabled(self, merchant_no: str, enabled: bool) -> None:
        """Turn the daily summary on or off."""
        await self.tx.execute(
            "UPDATE merchants SET summaries_enabled = ? WHERE merchant_no = ?",
            (int(enabled), merchant_no),
        )

    async def open_for(self, record: ApplicationRecord, timezone: str) -> str:
        """The shop an approved application opens: its number (kept from an earlier approval,
        else the next one), written on the application, and the merchant if it is new."""
        merchant_no = record.merchant_no or await self.next_merchant_no()
        await self.tx.execute(
            "UPDATE applications SET merchant_no = ? WHERE id = ?", (merchant_no, record.id)
        )
        if await self.get(merchant_no) is None:
            await self.create(
                merchant_no,
                record.answers.get("merchant_name", ""),
                record.merchant_id,
                timezone,
                application_id=record.id,
            )
        return merchant_no

    async def next_merchant_no(self) -> str:
        """The number after the highest one issued: 15 digits, sequential."""
        match = "~ ?" if self.tx.dialect == "postgresql" else "GLOB ?"
        row = await self.tx.fetchone(
            f"SELECT MAX(merchant_no) FROM merchants WHERE merchant_no {match}",
            (_MERCHANT_NO_REGEX if self.tx.dialect == "postgresql" else _MERCHANT_NO_GLOB,),
        )
        if row is None or row[0] is None:
            return FIRST_MERCHANT_NO
        return f"{int(row[0]) + 1:015d}"


def _abandoned(tx: Tx, now: datetime, gone: Sequence[str]) -> tuple[str, tuple[object, ...]]:
    """A claim given up: older than STALE_CLAIM, or GONE_CLAIM old and of an instance gone."""
    owner_gone, params = among(tx, "claimed_by", gone)
    return (
        f"(claimed_at < ? OR ({owner_gone} AND claimed_at < ?))",
        ((now - STALE_CLAIM).isoformat(), *params, (now - GONE_CLAIM).isoformat()),
    )


class SummaryDeliveryRepository:
    """Which daily summaries are due, and claiming each one exactly once."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def due(
        self, now: datetime | None = None, *, gone: Sequence[str] = ()
    ) -> list[DueSummary]:
        """Summaries whose local time has passed, up to CATCH_UP_DAYS back, not yet claimed
        (or claimed by an instance in `gone`, or so long ago the claim is abandoned).

        One query over all merchants; the only other one lists their (few) time zones.
        """
        now = now or utcnow()
        zones = [
            r[0]
            for r in await self.tx.fetchall(
                "SELECT DISTINCT timezone FROM merchants"
                " WHERE summaries_enabled = 1 AND telegram_id IS NOT NULL"
            )
        ]
        if not zones:
            return []
        # SQLite knows no time zones: list each zone's candidate days here, then let one
        # query match them against every merchant's summary time and existing deliveries.
        candidates: list[object] = []
        for name in zones:
            local_now = now.astimezone(ZoneInfo(name))
            for back in range(CATCH_UP_DAYS + 1):
                day = local_now.date() - timedelta(days=back)
                day_end = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(name))
                candidates += [
                    name,
                    day.isoformat(),
                    day_end.astimezone(UTC).isoformat(),
                    int(back == 0),
                    local_now.strftime("%H:%M"),
                ]
        # The CAST types the column for PostgreSQL (untyped parameters there are text).
        values = ", ".join(["(?, ?, ?, CAST(? AS INTEGER), ?)"] * (len(candidates) // 5))
        abandoned, abandoned_params = _abandoned(self.tx, now, gone)
        rows = await self.tx.fetchall(
            f"WITH cand (timezone, business_day, day_end, is_today, local_time) AS"
            f" (VALUES {values})"
            " SELECT m.*, c.business_day AS due_day, c.is_today FROM merchants m"
            " JOIN cand c ON c.timezone = m.timezone"
            " WHERE m.summaries_enabled = 1 AND m.telegram_id IS NOT NULL"
            "  AND (c.is_today = 0 OR m.summary_time <= c.local_time)"
            # no summaries for days before the merchant existed
            "  AND m.created_at < c.day_end"
            "  AND NOT EXISTS (SELECT 1 FROM summary_deliveries d"
            "   WHERE d.merchant_no = m.merchant_no AND d.business_day = c.business_day"
            f"   AND NOT (d.state = 'claimed' AND {abandoned}))"
            " ORDER BY c.business_day, m.merchant_no",
            (*candidates, *abandoned_params),
        )
        due = []
        for row in rows:
            fields = dict(row)
            day, is_today = fields.pop("due_day"), fields.pop("is_today")
            merchant = Merchant.model_validate(fields)
            due.append(DueSummary(merchant, date.fromisoformat(day), late=not is_today))
        return due

    async def claim(
        self,
        merchant_no: str,
        day: date,
        *,
        late: bool = False,
        now: datetime | None = None,
        owner: str | None = None,
        gone: Sequence[str] = (),
    ) -> bool:
        """True for exactly one caller per (merchant, day), even across processes. `owner`
        names the claiming instance; a claim of an instance in `gone` is taken over."""
        now = now or utcnow()
        inserted = await self.tx.execute(
            "INSERT INTO summary_deliveries (merchant_no, business_day, state,"
            " claimed_at, late, claimed_by) VALUES (?, ?, 'claimed', ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (merchant_no, day.isoformat(), now.isoformat(), int(late), owner),
        )
        if inserted:
            return True
        abandoned, abandoned_params = _abandoned(self.tx, now, gone)
        # One UPDATE with its condition: SQLite serialises writers and PostgreSQL re-checks
        # the condition on the row it waited for, so at most one caller takes a claim over.
        taken = await self.tx.execute(
            "UPDATE summary_deliveries SET claimed_at = ?, late = ?, claimed_by = ?"
            " WHERE merchant_no = ? AND business_day = ? AND state = 'claimed'"
            f" AND {abandoned}",
            (now.isoformat(), int(late), owner, merchant_no, day.isoformat(), *abandoned_params),
        )
        return taken == 1

    async def claim_owners(self) -> list[str]:
        """The instances holding claims not yet sent or failed."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT claimed_by FROM summary_deliveries"
            " WHERE state = 'claimed' AND claimed_by IS NOT NULL"
        )
        return [r[0] for r in rows]

    async def mark_sent(self, merchant_no: str, day: date, now: datetime | None = None) -> None:
        """The summary reached Telegram."""
        await self.tx.execute(
            "UPDATE summary_deliveries SET state = 'sent', sent_at = ?"
            " WHERE merchant_no = ? AND business_day = ?",
            ((now or utcnow()).isoformat(), merchant_no, day.isoformat()),
        )

    async def mark_failed(self, merchant_no: str, day: date, *, retry: bool = False) -> None:
        """Sending failed: retry=True makes it due again (within the catch-up window)."""
        if retry:
            await self.tx.execute(
                "DELETE FROM summary_deliveries WHERE merchant_no = ? AND business_day = ?",
                (merchant_no, day.isoformat()),
            )
        else:
            await self.tx.execute(
                "UPDATE summary_deliveries SET state = 'failed'"
                " WHERE merchant_no = ? AND business_day = ?",
                (merchant_no, day.isoformat()),
            )
