"""The one sender of queued notifications: retries with backoff, never loses, never repeats."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.context import BotData
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

BATCH = 20
MAX_BACKOFF = timedelta(minutes=5)


def keyboard(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Inline keyboard from the JSON stored in a payload."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in rows]
    )


class OutboxSender:
    """Delivers due outbox rows; one run at a time per process, leases across processes."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def run(self, bot: Bot, data: BotData) -> int:
        """Deliver everything due now; return how many were delivered."""
        delivered = 0
        async with self._lock:
            while True:
                async with data.storage.transaction() as repos:
                    items = await repos.outbox.lease_due(BATCH)
                if not items:
                    return delivered
                for item in items:
                    delivered += await self._deliver(bot, data, item)

    async def _deliver(self, bot: Bot, data: BotData, item: OutboxItem) -> int:
        try:
            await self._send(bot, data, item)
        except Forbidden as exc:
            await self._finish(data, item, give_up=str(exc))
            if item.chat_id > 0 and item.payload.get("ticket_id") is not None:
                # A support reply the merchant cannot receive: the ticket and staff must know.
                from scheduler.support import undeliverable_reply

                await undeliverable_reply(bot, data, item)
            return 0
        except BadRequest as exc:
            log.error("outbox %s to chat %s refused: %s", item.id, item.chat_id, exc)
            await self._finish(data, item, give_up=str(exc))
            return 0
        except RetryAfter as exc:
            delay = exc.retry_after
            wait = delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
            await self._finish(data, item, retry=(str(exc), wait))
            return 0
        except (TelegramError, OSError) as exc:
            backoff = min(timedelta(seconds=2**item.attempts), MAX_BACKOFF)
            log.warning("outbox %s: %r; retry in %s", item.id, exc, backoff)
            await self._finish(data, item, retry=(repr(exc), backoff))
            return 0
        await self._finish(data, item)
        return 1

    async def _finish(
        self,
        data: BotData,
        item: OutboxItem,
        *,
        give_up: str | None = None,
        retry: tuple[str, timedelta] | None = None,
    ) -> None:
        async with data.storage.transaction() as repos:
            if give_up is not None:
                await repos.outbox.give_up(item.id, give_up)
            elif retry is not None:
                await repos.outbox.retry_later(item.id, *retry)
            else:
                await repos.outbox.mark_sent(item.id)

    async def _send(self, bot: Bot, data: BotData, item: OutboxItem) -> None:
        payload = item.payload
        if item.kind == "text":
            await bot.send_message(
                item.chat_id,
                payload["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(payload.get("buttons")),
            )
        elif item.kind == "voucher":
            from handlers.fulfilment_views import send_voucher

            await send_voucher(
                bot, data, item.chat_id, payload["application_id"], payload["locale"]
            )
        elif item.kind == "review_card":
            from handlers.review_views import post_card

            await post_card(bot, data, payload["application_id"])
        elif item.kind == "ticket_card":
            from handlers.support_views import post_card as post_ticket_card

            await post_ticket_card(bot, data, item.chat_id, payload["ticket_id"])
        elif item.kind == "ticket_post":
            from handlers.support_views import post_to_staff

            await post_to_staff(bot, data, item.chat_id, payload)
        elif item.kind == "ticket_batch":
            from handlers.support_batch import post_batch

            await post_batch(bot, data, item.chat_id, payload)
        elif item.kind == "copy":
            from handlers.support_views import copy_to

            await copy_to(bot, data, item.chat_id, payload)
        else:
            raise BadRequest(f"unknown outbox kind {item.kind!r}")
