"""The voucher photo and the agreement as the merchant receives them."""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.constants import ParseMode

from bot.data import BotData
from bot.fulfilment.voucher import voucher_png
from bot.settings import Locale


async def send_voucher(
    bot: Bot, data: BotData, chat_id: int, application_id: int, locale: Locale
) -> None:
    """Send the application's current code with its printable QR voucher (a PNG photo).

    Rendered at send time from the encrypted store: a code revoked before delivery is never
    sent, and the outbox never holds the code in plain text.
    """
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
        issued = await repos.fulfilment.current_code(application_id)
    if record is None or issued is None:
        return
    renderer = data.renderer
    png = await asyncio.to_thread(
        voucher_png,
        issued.code,
        merchant_name=record.answers.get("merchant_name", ""),
        application_no=record.number or "",
        title=renderer.plain_label(locale, "voucher_title"),
        application_label=renderer.plain_label(locale, "voucher_application_no"),
    )
    caption = renderer.render(locale, "fulfilment/voucher", code=issued.code, number=record.number)
    await bot.send_photo(
        chat_id,
        png,
        caption=caption,
        parse_mode=ParseMode.HTML,
        filename=f"voucher-{record.number}.png",
    )
