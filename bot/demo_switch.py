"""The chat page's "demo data" switch: demo shops and weeks of sales for the sandbox merchant.

On: `merchant-bot demo-data` into the running bot's database (idempotent), with the first
demo shop linked to the merchant on the page, so /today and /week have numbers.
Off: that shop is unlinked again; its rows stay, and switching on again adds nothing twice.
"""

from __future__ import annotations

from typing import Any

from bot.demo import FIRST_NUMBER, fill_demo_data
from storage import Storage

__all__ = ["DemoSwitch"]

DEMO_MERCHANTS = 5
DEMO_DAYS = 21


class DemoSwitch:
    """The page's DemoData hook (sandbox/emulator.py): demo rows in, merchant linked or not."""

    def __init__(self, storage: Storage, timezone: str) -> None:
        self.storage = storage
        self.timezone = timezone
        self.merchant_no = f"{FIRST_NUMBER:015d}"

    async def status(self, user_id: int) -> dict[str, Any]:
        """Whether this user is linked to the demo shop, and which shop that is."""
        async with self.storage.transaction() as repos:
            shop = await repos.merchants.get(self.merchant_no)
        return {
            "on": shop is not None and shop.telegram_id == user_id,
            "merchant_no": self.merchant_no,
            "name": shop.name if shop is not None else None,
        }

    async def turn(self, user_id: int, on: bool) -> dict[str, Any]:
        """Switch on (fill and link) or off (unlink); returns the new status and rows added."""
        added = 0
        if on:
            _, added = await fill_demo_data(
                self.storage,
                timezone=self.timezone,
                merchants=DEMO_MERCHANTS,
                days=DEMO_DAYS,
                telegram_ids=[user_id],
            )
        else:
            async with self.storage.transaction() as repos:
                shop = await repos.merchants.get(self.merchant_no)
                # An approved application's shop (application_id set) is never the demo's.
                if shop is not None and shop.application_id is None:
                    await repos.merchants.link_telegram(self.merchant_no, None)
        return {**await self.status(user_id), "added": added}
