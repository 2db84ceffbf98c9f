"""A day's transactions as a paged message (10 per page, ◀ ▶), readable on a phone; the CSV
goes with it (report_views.send_details)."""

from __future__ import annotations

import html
from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from bot.data import BotData
from bot.money import format_fen
from bot.reports.settlement import day_transactions
from bot.settings import Locale
from storage.merchants import Merchant
from storage.transactions import Transaction

PAGE_SIZE = 10
SUMMARY_LABELS = "summary/labels"


def page_count(total: int) -> int:
    """Pages needed for `total` transactions (at least one)."""
    return max(1, -(-total // PAGE_SIZE))


def page_view(
    data: BotData,
    locale: Locale,
    merchant: Merchant,
    day: date,
    rows: list[Transaction],
    page: int,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `page` (1-based, clamped) of the day's transactions, with ◀ ▶ to turn pages."""
    pages = page_count(len(rows))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def label(key: str) -> str:
        return html.unescape(data.renderer.block(locale, SUMMARY_LABELS, key))

    lines = [
        {
            "time": r.occurred_at.astimezone(merchant.zone).strftime("%H:%M:%S"),
            "type": label(f"type_{r.type}"),
            "channel": label(f"channel_{r.channel}"),
            "amount": format_fen(-r.amount if r.type in ("void", "refund") else r.amount, locale),
            "fee": format_fen(r.fee, locale) if r.fee else "",
            "terminal": r.terminal_sn,
        }
        for r in shown
    ]
    text = data.renderer.render(
        locale,
        "reports/details_page",
        merchant_name=merchant.name,
        day=str(day),
        page=page,
        pages=pages,
        count=len(rows),
        first=(page - 1) * PAGE_SIZE + 1,
        lines=lines,
    )
    if pages == 1:
        return text, None
    base = f"rp:pg:{merchant.merchant_no}:{day}_"
    buttons = []
    if page > 1:
        buttons.append(InlineKeyboardButton("◀", callback_data=f"{base}{page - 1}"))
    buttons.append(InlineKeyboardButton(f"{page}/{pages}", callback_data=f"{base}{page}"))
    if page < pages:
        buttons.append(InlineKeyboardButton("▶", callback_data=f"{base}{page + 1}"))
    return text, InlineKeyboardMarkup([buttons])


async def day_rows(data: BotData, merchant: Merchant, day: date) -> list[Transaction]:
    """The day's transactions, oldest first."""
    async with data.storage.transaction() as repos:
        return await day_transactions(repos.tx, merchant, day)


async def send_first_page(
    bot: Bot, data: BotData, chat_id: int, locale: Locale, merchant: Merchant, day: date
) -> Message | None:
    """The first page, or nothing when the day has no transaction (the CSV step says so)."""
    rows = await day_rows(data, merchant, day)
    if not rows:
        return None
    text, keyboard = page_view(data, locale, merchant, day, rows, 1)
    return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
