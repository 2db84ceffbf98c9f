"""The privacy notice as the merchant sees it, and the consent gate of the application form.

Callback data:
    pv:ok:<sha12>   I agree (to the notice whose rendered text hashes to <sha12>…)
    pv:no           I don't agree: the application ends
    pv:exp          export my data (/mydata)
    pv:del          delete my data: ask to confirm (/deletemydata)
    pv:erase        confirmed: erase
    pv:keep         not confirmed
"""

from __future__ import annotations

import html
from datetime import datetime

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.context import Context
from bot.privacy import POLICY_VERSION, notice_hash, retention
from handlers.common import locale_of, text

LABELS = "privacy/labels"
DIGEST_CHARS = 12  # of the notice's sha256, in the button (callback data is 64 bytes at most)


def plabel(context: Context, key: str) -> str:
    """A short plain text from privacy/labels.j2 (buttons, toasts)."""
    return html.unescape(context.bot_data.renderer.block(locale_of(context), LABELS, key))


def when(context: Context, moment: datetime) -> str:
    """A time in the business time zone, as people read it."""
    return format_datetime(
        moment,
        "yyyy-MM-dd HH:mm",
        tzinfo=context.bot_data.settings.zone,
        locale=locale_of(context).replace("-", "_"),
    )


def consent_text(context: Context, agreed_at: datetime | None = None) -> str:
    """The notice in the merchant's language; with `agreed_at`, the line saying they agreed."""
    return text(
        context,
        "privacy/consent",
        version=POLICY_VERSION,
        agreed_at=when(context, agreed_at) if agreed_at else None,
        **retention(context.bot_data.settings),
    )


async def has_consent(user_id: int, context: Context) -> bool:
    """True if the merchant agreed to the current notice (and did not withdraw)."""
    async with context.bot_data.storage.autocommit() as repos:
        return await repos.privacy.consent(user_id, POLICY_VERSION) is not None


async def send_consent(chat_id: int, context: Context) -> None:
    """The notice with a separate "I agree" and "I don't agree"."""
    body = consent_text(context)
    digest = notice_hash(body)[:DIGEST_CHARS]
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(plabel(context, "btn_agree"), callback_data=f"pv:ok:{digest}")],
            [InlineKeyboardButton(plabel(context, "btn_decline"), callback_data="pv:no")],
        ]
    )
    await context.bot.send_message(chat_id, body, parse_mode=ParseMode.HTML, reply_markup=keyboard)
