"""Merchants with a POS machine: their numbers, Telegram link, time zone and summary settings.

Which daily summaries are due and who sends each is storage/summary_deliveries.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from storage.applications import ApplicationRecord
from storage.db import Tx, among, utcnow

# 商户号: 15 digits, sequential (prefix 8223301 + 8-digit serial).
FIRST_MERCHANT_NO = "822330100000001"
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
