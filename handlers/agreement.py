"""The service agreement: read it, confirm the rates, sign it; /agreement shows it again."""

from __future__ import annotations

import logging
from datetime import datetime

from babel.dates import format_datetime
from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import fees, notify
from bot.application.lifecycle import State
from bot.context import Context
from bot.fulfilment import agreement
from bot.fulfilment.policy import Policy
from bot.parsing import strict_int
from bot.settings import Locale
from handlers.common import drop_keyboard, keyboard, label, locale_of, main_menu, reply

log = logging.getLogger(__name__)


async def _latest(context: Context, user_id: int):
    async with context.bot_data.storage.transaction() as repos:
        return await repos.applications.latest_of(user_id)


def _sign_press(data: str) -> tuple[int | None, str, str]:
    """ag:/agc:<application id>:<version>:<hash prefix> -> (id, version, prefix)."""
    parts = data.split(":")
    if len(parts) != 4:
        return None, "", ""
    return strict_int(parts[1]), parts[2], parts[3]


async def on_sign(update: Update, context: Context) -> None:
    """ag:<application id>:<version>:<hash prefix> — "I agree and sign": ask to confirm the
    rates (nothing is signed by this first tap)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    data = context.bot_data
    app_id, version, digest = _sign_press(query.data)
    outcome = "stale"
    if app_id is not None:
        async with data.storage.transaction() as repos:
            outcome = await agreement.check_sign(
                repos,
                data.renderer,
                Policy.of(data.settings),
                app_id,
                query.from_user.id,
                version,
                digest,
            )
    if outcome == "stale":
        await query.answer(label(context, "stale_button"), show_alert=True)
        await drop_keyboard(query.message)
        await _resend_current(update, context)
        return
    if outcome == "already":
        await query.answer(label(context, "agreement_signed_toast"))
        await _end_with(query.message, label(context, "agreement_signed_final"))
        return
    await query.answer()
    locale = locale_of(context)
    text = _confirmation_text(context, locale)
    buttons: notify.Buttons = [
        [("btn_sign_confirm", f"agc:{app_id}:{version}:{digest}")],
        [("btn_sign_later", f"agx:{app_id}")],
    ]
    await context.bot.send_message(
        query.from_user.id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(notify.button_rows(data, locale, buttons)),
    )


async def on_sign_confirm(update: Update, context: Context) -> None:
    """agc:<application id>:<version>:<hash prefix> — the second tap: sign at these rates."""
    query = update.callback_query
    assert query is not None and query.data is not None
    data = context.bot_data
    app_id, version, digest = _sign_press(query.data)
    outcome = "stale"
    if app_id is not None:
        async with data.storage.transaction() as repos:
            if not await repos.updates.claim(update.update_id):
                return
            outcome = await agreement.sign(
                repos,
                data.renderer,
                Policy.of(data.settings),
                app_id,
                query.from_user.id,
                version,
                digest,
            )
    if outcome == "stale":
        await query.answer(label(context, "stale_button"), show_alert=True)
        await drop_keyboard(query.message)
        await _resend_current(update, context)
        return
    await query.answer(label(context, "agreement_signed_toast"))
    await _finish_confirmation(query.message, context, "signed")
    if outcome == "ok":
        log.info("agreement of application %s signed by %s", app_id, query.from_user.id)
        data.kick_outbox()


async def on_sign_later(update: Update, context: Context) -> None:
    """agx:<application id> — "Not now" on the confirmation: nothing signed, say so."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _finish_confirmation(query.message, context, "later")


def _confirmation_text(context: Context, locale: Locale, final: str = "") -> str:
    """The rates stated before the second tap; `final` ('signed', 'later') ends it."""
    schedule = fees.fee_schedule(context.bot_data.settings)
    return context.bot_data.renderer.render(
        locale, "fulfilment/sign_confirm", fees=fees.fee_texts(schedule, locale), final=final
    )


async def _finish_confirmation(message: object, context: Context, final: str) -> None:
    """The confirmation message ends in its final state, without buttons."""
    if not isinstance(message, Message):
        return
    text = _confirmation_text(context, locale_of(context), final)
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
    except BadRequest:  # unchanged (tapped twice) or too old to edit
        log.debug("confirmation message %s not edited", message.message_id)


async def _end_with(message: object, line: str) -> None:
    """An old agreement message that says "tap below" ends in its final state instead."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(
            f"{message.text_html}\n\n{line}", parse_mode=ParseMode.HTML, reply_markup=None
        )
    except BadRequest:  # already ended (tapped twice) or too old to edit
        await drop_keyboard(message)


async def _resend_current(update: Update, context: Context) -> None:
    """After a stale button: the agreement as it stands now, if it still waits to be signed."""
    user = update.effective_user
    assert user is not None
    record = await _latest(context, user.id)
    if record is None or record.state != State.APPROVED:
        return
    locale = locale_of(context)
    data = context.bot_data
    body, buttons = agreement.agreement_to_sign(
        data.renderer, Policy.of(data.settings), locale, record
    )
    await context.bot.send_message(
        user.id,
        body,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(notify.button_rows(context.bot_data, locale, buttons)),
    )


async def agreement_command(update: Update, context: Context) -> None:
    """/agreement: the signed text again, with when and what was signed."""
    user = update.effective_user
    assert user is not None
    data = context.bot_data
    record = await _latest(context, user.id)
    async with data.storage.transaction() as repos:
        signed = await repos.fulfilment.signature(record.id) if record else None
    if record is None or (signed is None and record.state != State.APPROVED):
        await reply(update, context, "fulfilment/no_agreement", keyboard=main_menu(context))
        return
    if signed is None:
        # Approved but not signed yet: show it again with the button.
        locale = locale_of(context)
        body, buttons = agreement.agreement_to_sign(
            data.renderer, Policy.of(data.settings), locale, record
        )
        await context.bot.send_message(
            user.id,
            body,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(notify.button_rows(data, locale, buttons)),
        )
        return
    body = agreement.signed_text(data.renderer, record, signed)
    await context.bot.send_message(user.id, body, parse_mode=ParseMode.HTML)
    when = format_datetime(
        datetime.fromisoformat(signed["signed_at"]),
        "yyyy-MM-dd HH:mm",
        tzinfo=data.settings.zone,
        locale=locale_of(context).replace("-", "_"),
    )
    await reply(
        update,
        context,
        "fulfilment/agreement_signed_at",
        signed_at=when,
        version=signed["version"],
        sha256=signed["text_sha256"],
    )
