"""Reports on demand: /today, /summary [date], /week, /details [date], /settings and the
report buttons.

Every report is for the shops linked to the Telegram user who asks (one person may own
several); someone without a shop is told they need an approved application first.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.parsing import as_typed, echo
from bot.reports import service, settlement
from bot.reports.settlement import local_today
from handlers import details_views as details
from handlers import report_views as views
from handlers.common import label, locale_of, reply
from storage.merchants import Merchant, normalize_summary_time

# 2026-11-25, 2026/11/25, 2026.11.25 and 2026年11月25日 all name the same day (ASCII digits
# once full-width ones are folded: \d would also take "١", which is nobody's way to type it).
_DAY = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
# The day in button data, exactly as report_views writes it.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The earliest day a report can be asked for: transactions before 2000 are refused at import,
# and it keeps date arithmetic (the days around the one asked for) far from year 1.
FIRST_DAY = date(2000, 1, 1)


def parse_day(given: str) -> date:
    """A date as merchants type it; raises ValueError otherwise."""
    match = _DAY.fullmatch(as_typed(given))
    if not match:
        raise ValueError(given)
    return date(*(int(part) for part in match.groups()))


def _button_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if _ISO_DAY.fullmatch(value) else None
    except ValueError:
        return None


async def _merchants_of(update: Update, context: Context) -> list[Merchant]:
    """The user's shops; when there are none, explain how to get one and return []."""
    user = update.effective_user
    assert user is not None
    async with context.bot_data.storage.transaction() as repos:
        merchants = await service.shops_of(repos, user.id)
    if not merchants:
        apply = InlineKeyboardButton(label(context, "menu_apply"), callback_data="menu:apply")
        await reply(
            update, context, "reports/no_merchant", keyboard=InlineKeyboardMarkup([[apply]])
        )
    return merchants


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def _send_day(update: Update, context: Context, merchant: Merchant, day: date) -> None:
    data = context.bot_data
    async with data.storage.transaction() as repos:
        report = await service.day_report(
            repos, merchant, day, settlement_days=data.settings.settlement_days
        )
    await views.send_daily(
        context.bot,
        data.renderer,
        _chat_id(update),
        locale_of(context),
        report.summary,
        as_of=report.as_of,
    )


async def today_command(update: Update, context: Context) -> None:
    """/today: today's summary so far, for each of the user's shops."""
    for merchant in await _merchants_of(update, context):
        await _send_day(update, context, merchant, local_today(merchant, settlement.now()))


async def summary_command(update: Update, context: Context) -> None:
    """/summary YYYY-MM-DD: that day's settlement; without a date, the report menu."""
    if not context.args:
        await report_menu(update, context)
        return
    merchants = await _merchants_of(update, context)
    day = await _asked_day(update, context, merchants) if merchants else None
    for merchant in merchants if day else []:
        await _send_day(update, context, merchant, day)  # type: ignore[arg-type]


async def details_command(update: Update, context: Context) -> None:
    """/details [YYYY-MM-DD]: the day's transactions (today without a date) as a paged
    message, 10 a page, and as a CSV file."""
    merchants = await _merchants_of(update, context)
    if not merchants:
        return
    if context.args:
        day = await _asked_day(update, context, merchants)
        if day is None:
            return
    else:
        day = local_today(merchants[0], settlement.now())
    data, locale, chat_id = context.bot_data, locale_of(context), _chat_id(update)
    for merchant in merchants:
        await details.send_first_page(context.bot, data, chat_id, locale, merchant, day)
        await views.send_details(context.bot, data, chat_id, locale, merchant, day)


async def _asked_day(update: Update, context: Context, merchants: list[Merchant]) -> date | None:
    """The day typed after the command, or None once told what is wrong with it."""
    given = " ".join(context.args or [])
    example = str(local_today(merchants[0], settlement.now()) - timedelta(days=1))
    try:
        day = parse_day(given)
    except ValueError:
        await reply(update, context, "reports/bad_date", given=echo(given), example=example)
        return None
    if day < FIRST_DAY:
        first, shown = str(FIRST_DAY), str(day)
        await reply(update, context, "reports/too_early", day=shown, first=first, example=example)
        return None
    if any(day > local_today(m, settlement.now()) for m in merchants):
        await reply(update, context, "reports/future_date", day=str(day))
        return None
    return day


async def week_command(update: Update, context: Context) -> None:
    """/week: the 7-day net settlement chart of each shop."""
    data = context.bot_data
    for merchant in await _merchants_of(update, context):
        today = local_today(merchant, settlement.now())
        await views.send_week(
            context.bot, data, _chat_id(update), locale_of(context), merchant, today
        )


async def report_menu(update: Update, context: Context) -> None:
    """The report menu (main-menu button, /summary without a date), one per shop."""
    renderer = context.bot_data.renderer
    for merchant in await _merchants_of(update, context):
        today = local_today(merchant, settlement.now())
        keyboard = views.menu_keyboard(renderer, locale_of(context), merchant.merchant_no, today)
        await reply(
            update,
            context,
            "reports/menu",
            keyboard=keyboard,
            merchant_name=merchant.name,
            merchant_no=merchant.merchant_no,
            summary_time=merchant.summary_time,
            enabled=merchant.summaries_enabled,
        )


async def settings_command(update: Update, context: Context) -> None:
    """/settings shows the summary settings; /settings HH:MM sets the time (and turns it on)."""
    merchants = await _merchants_of(update, context)
    if not merchants:
        return
    if context.args:
        given = " ".join(context.args)
        try:
            summary_time = normalize_summary_time(as_typed(given))
        except ValueError:
            await reply(update, context, "reports/bad_time", given=echo(given))
            return
        async with context.bot_data.storage.transaction() as repos:
            for merchant in merchants:
                await service.change_settings(
                    repos, merchant, summary_time=summary_time, enabled=True
                )
        for merchant in merchants:
            await reply(
                update,
                context,
                "reports/time_saved",
                merchant_name=merchant.name,
                summary_time=summary_time,
            )
        return
    for merchant in merchants:
        await _send_settings(update, context, merchant)


async def _send_settings(update: Update, context: Context, merchant: Merchant) -> None:
    renderer, locale = context.bot_data.renderer, locale_of(context)
    await context.bot.send_message(
        _chat_id(update),
        views.settings_text(renderer, locale, merchant),
        parse_mode=ParseMode.HTML,
        reply_markup=views.settings_keyboard(renderer, locale, merchant),
    )


async def on_button(update: Update, context: Context) -> None:
    """rp:<action>:<merchant_no>[:<value>] buttons under reports, menus and settings."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, merchant_no, value = [*query.data.split(":"), "", "", ""][:4]
    data, locale = context.bot_data, locale_of(context)
    async with data.storage.transaction() as repos:
        merchant = await repos.merchants.get(merchant_no)
    if merchant is None or merchant.telegram_id != query.from_user.id:
        # A button from before the shop was unlinked from this account.
        await query.answer(label(context, "stale_button"))
        return
    if action in ("on", "off", "time"):
        try:
            summary_time = f"{value[:2]}:{value[2:]}" if action == "time" else None
            async with data.storage.transaction() as repos:
                merchant = await service.change_settings(
                    repos, merchant, summary_time=summary_time, enabled=action != "off"
                )
        except ValueError:
            await query.answer(label(context, "stale_button"))
            return
        await query.answer(views.button(data.renderer, locale, "saved"))
        await query.edit_message_text(
            views.settings_text(data.renderer, locale, merchant),
            parse_mode=ParseMode.HTML,
            reply_markup=views.settings_keyboard(data.renderer, locale, merchant),
        )
        return
    if action == "set":
        await query.answer()
        await _send_settings(update, context, merchant)
        return
    page = 1
    if action == "pg":  # a page of the day's details: <day>_<page>
        value, _, raw_page = value.partition("_")
        page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else 0
    day = _button_day(value)
    in_reach = day is not None and FIRST_DAY <= day <= local_today(merchant, settlement.now())
    if action == "pg" and in_reach and page:
        await _turn_page(query, context, merchant, day, page)  # type: ignore[arg-type]
        return
    if not in_reach or action not in ("day", "csv", "week"):
        await query.answer(label(context, "stale_button"))
        return
    await query.answer()
    chat_id = _chat_id(update)
    if action == "day":
        await _send_day(update, context, merchant, day)
    elif action == "csv":
        await details.send_first_page(context.bot, data, chat_id, locale, merchant, day)
        await views.send_details(context.bot, data, chat_id, locale, merchant, day)
    else:
        await views.send_week(context.bot, data, chat_id, locale, merchant, day)


async def _turn_page(
    query: CallbackQuery, context: Context, merchant: Merchant, day: date, page: int
) -> None:
    """◀ or ▶ under the details: the same message shows the other page."""
    data = context.bot_data
    rows = await details.day_rows(data, merchant, day)
    await query.answer()
    if not rows:
        return
    text, keyboard = details.page_view(data, locale_of(context), merchant, day, rows, page)
    with contextlib.suppress(BadRequest):  # the page shown already ("not modified")
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
