"""What the FAQ shows: categories, entry lists, answers, "I don't know", and their buttons.

Callback data (under Telegram's 64 bytes: entry ids are short ASCII, q is a row id):
    fq:c               the categories, edited in place
    fq:n               the categories, as a new message
    fq:l:<category>    a category's entries, edited in place
    fq:e:<id>[:<q>]    an entry's answer (q: the question it is a candidate for)
    fq:v:<q>:<1|0>     👍 / 👎 on answer record q
    fq:h:<q>           reach a person about record q
"""

from __future__ import annotations

import html
from typing import NamedTuple

from babel.dates import format_date, format_skeleton
from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.data import BotData
from bot.faq_personal import Payout
from bot.fees import FeeSchedule, fee_texts
from bot.money import babel_locale, format_fen
from bot.settings import Locale
from faq.knowledge import CATEGORIES, FaqEntry

# An entry's action button opens the main-menu flow of the same name (handlers.start).
ACTION_MENU_ITEMS: dict[str, str] = {
    "apply": "apply",
    "status": "status",
    "code": "code",
    "support": "support",
    "summary_settings": "summary",
    "faq": "faq",
}
# What most merchants ask: offered after "I don't know" when fewer than three entries
# come close (an off-topic question has no close entries at all).
POPULAR: tuple[str, ...] = ("apply.process", "status.query", "support.fault")
CANDIDATES_SHOWN = 3


class View(NamedTuple):
    """A message ready to send or edit in: Telegram HTML and its buttons."""

    text: str
    keyboard: InlineKeyboardMarkup


def faq_label(data: BotData, locale: Locale, key: str) -> str:
    """A button or toast text from faq/labels.j2 (plain text, not HTML)."""
    return html.unescape(data.renderer.block(locale, "faq/labels", key))


def categories(data: BotData, locale: Locale) -> View:
    """The four categories, two buttons a row."""
    buttons = [
        InlineKeyboardButton(names[locale], callback_data=f"fq:l:{category}")
        for category, names in CATEGORIES.items()
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return View(data.renderer.render(locale, "faq/categories"), InlineKeyboardMarkup(rows))


def entries(data: BotData, locale: Locale, category: str) -> View:
    """A category's entries, one a row, and the way back to all categories."""
    rows = [[_entry_button(entry, locale)] for entry in data.knowledge.by_category(category)]
    rows.append([_button(data, locale, "btn_all_categories", "fq:c")])
    name = CATEGORIES[category][locale]
    return View(
        data.renderer.render(locale, "faq/entries", category=name), InlineKeyboardMarkup(rows)
    )


def answer(
    data: BotData,
    locale: Locale,
    entry: FaqEntry,
    record_id: int | None,
    *,
    ask_feedback: bool,
    lead: str | None = None,
) -> View:
    """The answer; then 👍/👎 (when asked for), the entry's action, related entries, more."""
    rows: list[list[InlineKeyboardButton]] = []
    if ask_feedback and record_id is not None:
        rows.append(
            [
                _button(data, locale, "btn_solved", f"fq:v:{record_id}:1"),
                _button(data, locale, "btn_not_solved", f"fq:v:{record_id}:0"),
            ]
        )
    item = ACTION_MENU_ITEMS.get(entry.action or "")
    if item is not None:
        action = data.renderer.plain_label(locale, f"menu_{item}")
        rows.append([InlineKeyboardButton(action, callback_data=f"menu:{item}")])
    related = (data.knowledge.get(entry_id) for entry_id in entry.related)
    rows += [[_entry_button(other, locale)] for other in related if other is not None]
    rows.append([_button(data, locale, "btn_more_questions", "fq:n")])
    body = data.renderer.render(
        locale,
        "faq/answer",
        title=entry.title_for(locale),
        # Knowledge-base answers are Telegram HTML already, checked by `merchant-bot faq check`;
        # provider facts such as {settlement_days} come from the operator's settings.
        answer=Markup(entry.answer_for(locale, facts(data))),
        lead=Markup(lead) if lead else None,
        ask_feedback=ask_feedback and record_id is not None,
    )
    return View(body, InlineKeyboardMarkup(rows))


def facts(data: BotData) -> dict[str, object]:
    """The operator's settings an answer may quote (see faq.knowledge.FACTS)."""
    return {"settlement_days": data.settings.settlement_days}


def payout_lead(data: BotData, locale: Locale, payouts: list[Payout]) -> str:
    """The merchant's own next payouts, shown above the general payout answer."""
    bl = babel_locale(locale)
    rows = [
        {
            "payout_date": format_date(p.payout_date, "medium", locale=bl),
            "business_day": format_skeleton("MMMd", p.business_day, locale=bl),
            "amount": format_fen(p.net, locale),
            "merchant_name": p.merchant_name,
            "partial": p.partial,
        }
        for p in payouts
    ]
    return data.renderer.render(locale, "faq/payout", payouts=rows)


def fees_lead(data: BotData, locale: Locale, schedule: FeeSchedule | None) -> str | None:
    """The rates that apply to the asker, above the general fee answer; None if unset."""
    if schedule is None:
        return None
    return data.renderer.render(locale, "faq/fees", fees=fee_texts(schedule, locale))


def code_lead(data: BotData, locale: Locale) -> str:
    """The asker's code exists: offer /code."""
    return data.renderer.render(locale, "faq/code_ready")


def unknown(data: BotData, locale: Locale, close: list[FaqEntry], record_id: int) -> View:
    """Honest "I don't know": three entries to try, and the way to a person."""
    offered = offered_entries(data, close)
    rows = [[_entry_button(entry, locale, record_id)] for entry in offered]
    rows.append([_button(data, locale, "btn_contact_support", f"fq:h:{record_id}")])
    return View(data.renderer.render(locale, "faq/unknown"), InlineKeyboardMarkup(rows))


def not_solved(data: BotData, locale: Locale, record_id: int) -> View:
    """After 👎: the way to a person, about this question."""
    keyboard = [[_button(data, locale, "btn_contact_support", f"fq:h:{record_id}")]]
    return View(data.renderer.render(locale, "faq/not_solved"), InlineKeyboardMarkup(keyboard))


def offered_entries(data: BotData, close: list[FaqEntry]) -> list[FaqEntry]:
    """The closest entries, topped up with popular ones to CANDIDATES_SHOWN."""
    chosen = list(close[:CANDIDATES_SHOWN])
    for entry_id in POPULAR:
        entry = data.knowledge.get(entry_id)
        if len(chosen) < CANDIDATES_SHOWN and entry and entry.id not in {e.id for e in chosen}:
            chosen.append(entry)
    return chosen


def _entry_button(
    entry: FaqEntry, locale: Locale, record_id: int | None = None
) -> InlineKeyboardButton:
    suffix = f":{record_id}" if record_id is not None else ""
    return InlineKeyboardButton(entry.title_for(locale), callback_data=f"fq:e:{entry.id}{suffix}")


def _button(data: BotData, locale: Locale, key: str, callback_data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(faq_label(data, locale, key), callback_data=callback_data)
