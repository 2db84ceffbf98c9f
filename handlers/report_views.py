"""What reports look like in chat: the daily summary and its buttons, the chart, the CSV.

Shared by the on-demand commands (handlers.reports) and the scheduled push
(scheduler.summaries), so a merchant gets the same message either way.
"""

from __future__ import annotations

import asyncio
import html
from datetime import date, datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode

from bot.data import BotData
from bot.i18n import Renderer, zone_label
from bot.reports.charts import details_csv, week_chart_png
from bot.reports.settlement import (
    SettlementDay,
    day_transactions,
    render_daily,
    render_week,
    week_nets,
)
from bot.settings import Locale
from storage.merchants import Merchant

LABELS = "reports/labels"
SUMMARY_LABELS = "summary/labels"
# The summary times offered as buttons; /settings HH:MM sets any other.
TIME_CHOICES = ("18:00", "19:00", "20:00", "21:00", "21:30", "22:00", "23:00")


def button(renderer: Renderer, locale: Locale, key: str, /, **values: object) -> str:
    """A report button label: plain text, since button labels are not HTML."""
    return html.unescape(renderer.block(locale, LABELS, key, **values))


def _button(renderer: Renderer, locale: Locale, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(button(renderer, locale, key), callback_data=data)


def summary_keyboard(
    renderer: Renderer, locale: Locale, merchant_no: str, day: date
) -> InlineKeyboardMarkup:
    """Under every daily summary: the day's details (CSV) and the 7 days up to it."""
    return InlineKeyboardMarkup(
        [
            [
                _button(renderer, locale, "btn_details", f"rp:csv:{merchant_no}:{day}"),
                _button(renderer, locale, "btn_week", f"rp:week:{merchant_no}:{day}"),
            ]
        ]
    )


def menu_keyboard(
    renderer: Renderer, locale: Locale, merchant_no: str, today: date
) -> InlineKeyboardMarkup:
    """The report menu of one shop."""
    yesterday = today - timedelta(days=1)
    return InlineKeyboardMarkup(
        [
            [
                _button(renderer, locale, "btn_today", f"rp:day:{merchant_no}:{today}"),
                _button(renderer, locale, "btn_yesterday", f"rp:day:{merchant_no}:{yesterday}"),
            ],
            [
                _button(renderer, locale, "btn_week", f"rp:week:{merchant_no}:{today}"),
                _button(renderer, locale, "btn_details", f"rp:csv:{merchant_no}:{today}"),
            ],
            [_button(renderer, locale, "btn_settings", f"rp:set:{merchant_no}")],
        ]
    )


def settings_keyboard(
    renderer: Renderer, locale: Locale, merchant: Merchant
) -> InlineKeyboardMarkup:
    """Summary times as buttons (the current one ticked) and the on/off switch."""
    times = [
        InlineKeyboardButton(
            button(
                renderer,
                locale,
                "btn_time",
                time=t,
                current=merchant.summaries_enabled and t == merchant.summary_time,
            ),
            callback_data=f"rp:time:{merchant.merchant_no}:{t.replace(':', '')}",
        )
        for t in TIME_CHOICES
    ]
    rows = [times[i : i + 4] for i in range(0, len(times), 4)]
    if merchant.summaries_enabled:
        rows.append([_button(renderer, locale, "btn_turn_off", f"rp:off:{merchant.merchant_no}")])
    else:
        rows.append([_button(renderer, locale, "btn_turn_on", f"rp:on:{merchant.merchant_no}")])
    return InlineKeyboardMarkup(rows)


def settings_text(renderer: Renderer, locale: Locale, merchant: Merchant) -> str:
    """The current summary settings of one shop."""
    return renderer.render(
        locale,
        "reports/settings",
        merchant_name=merchant.name,
        summary_time=merchant.summary_time,
        timezone=zone_label(merchant.timezone, locale),
        enabled=merchant.summaries_enabled,
    )


def daily_text(
    renderer: Renderer,
    locale: Locale,
    summary: SettlementDay,
    *,
    late: bool = False,
    as_of: datetime | None = None,
) -> str:
    """The daily summary; a catch-up after downtime says it comes late, a day not over yet
    says up to when it counts."""
    text = render_daily(renderer, locale, summary)
    if late:
        text = f"{renderer.block(locale, LABELS, 'late_note')}\n\n{text}"
    if as_of is not None:
        note = renderer.block(locale, LABELS, "so_far_note", time=as_of.strftime("%H:%M"))
        text = f"{text}\n\n{note}"
    return text


async def send_daily(
    bot: Bot,
    renderer: Renderer,
    chat_id: int,
    locale: Locale,
    summary: SettlementDay,
    *,
    late: bool = False,
    as_of: datetime | None = None,
    allow_paid_broadcast: bool = False,
) -> Message:
    """Send one daily summary with its Details and 7-day chart buttons (paid broadcast: the
    push's SUMMARY_PAID_BROADCAST)."""
    return await bot.send_message(
        chat_id,
        daily_text(renderer, locale, summary, late=late, as_of=as_of),
        parse_mode=ParseMode.HTML,
        reply_markup=summary_keyboard(renderer, locale, summary.merchant_no, summary.business_day),
        allow_paid_broadcast=allow_paid_broadcast or None,
    )


async def send_week(
    bot: Bot, data: BotData, chat_id: int, locale: Locale, merchant: Merchant, last_day: date
) -> Message:
    """The bar chart of net settlement for the 7 days up to last_day, the figures beneath."""
    async with data.storage.transaction() as repos:
        days = await week_nets(repos.tx, merchant, last_day)
    # matplotlib takes ~0.1 s of CPU: off the event loop, so other chats are not held up.
    png = await asyncio.to_thread(week_chart_png, days, locale)
    return await bot.send_photo(
        chat_id,
        png,
        caption=render_week(data.renderer, locale, merchant.name, days),
        parse_mode=ParseMode.HTML,
    )


async def send_details(
    bot: Bot, data: BotData, chat_id: int, locale: Locale, merchant: Merchant, day: date
) -> Message:
    """The day's transactions as a CSV document (the 打印当日交易明细 of the POS)."""
    renderer = data.renderer
    async with data.storage.transaction() as repos:
        rows = await day_transactions(repos.tx, merchant, day)
    if not rows:
        return await bot.send_message(
            chat_id,
            renderer.render(
                locale, "reports/no_transactions", merchant_name=merchant.name, day=str(day)
            ),
            parse_mode=ParseMode.HTML,
        )
    content = details_csv(rows, locale, tz=merchant.zone, renderer=renderer)
    names = {"merchant_no": merchant.merchant_no, "merchant_name": merchant.name, "day": str(day)}
    filename = html.unescape(renderer.block(locale, SUMMARY_LABELS, "details_filename", **names))
    caption = renderer.block(locale, SUMMARY_LABELS, "details_caption", count=len(rows), **names)
    return await bot.send_document(
        chat_id,
        InputFile(content, filename=filename),
        caption=caption,
        parse_mode=ParseMode.HTML,
    )
