"""Daily summary deliveries: which summaries are due, and claiming each one exactly once.

One row per merchant and business day (summary_deliveries): claimed just before the send,
marked sent or failed just after (scheduler/summaries.py says why it is sent at most once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from storage.db import Tx, among, utcnow
from storage.merchants import Merchant

# How far back a missed summary is still sent (a restart after a weekend catches up).
CATCH_UP_DAYS = 3
# A claim this old without mark_sent/mark_failed belongs to a process that died mid-send.
STALE_CLAIM = timedelta(minutes=15)
# A claim whose instance is gone (PostgreSQL: no connection of it left) is taken over once this
# old: a stopping instance finishes its sends in flight after handing on the lead.
GONE_CLAIM = timedelta(seconds=10)


class DueSummary(NamedTuple):
    """A summary that should go out now; late = catch-up for a day that has already ended."""

    merchant: Merchant
    business_day: date
    late: bool


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
            business_day = date.fromisoformat(day)
            if _joined_after_summary_time(merchant, business_day):
                continue
            due.append(DueSummary(merchant, business_day, late=not is_today))
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


def _joined_after_summary_time(merchant: Merchant, day: date) -> bool:
    """A merchant who joined after that day's summary time gets no summary of that day: it
    would only say "no transactions, check your POS" on their first evening. Their first
    summary is the next day's (the joining day's few payments are in /today and /summary)."""
    moment = datetime.combine(day, time.fromisoformat(merchant.summary_time), merchant.zone)
    return merchant.created_at >= moment
