"""The merchant after approval: /code and /activate."""

from __future__ import annotations

import logging
from datetime import timedelta

from babel.dates import format_datetime
from telegram import Update

from bot.application.lifecycle import State
from bot.context import Context
from bot.fulfilment import service as fulfilment
from bot.fulfilment.codes import CodeError, normalize_code
from bot.fulfilment.policy import Policy
from bot.fulfilment.service import normalize_serial
from handlers.common import label, locale_of, main_menu, reply
from handlers.fulfilment_views import send_voucher
from storage.db import utcnow

log = logging.getLogger(__name__)

# /activate waiting longer than this no longer takes the merchant's messages.
SESSION_TTL = timedelta(hours=1)


async def _latest(context: Context, user_id: int):
    async with context.bot_data.storage.transaction() as repos:
        return await repos.applications.latest_of(user_id)


# --- code ----------------------------------------------------------------------------------


async def code_command(update: Update, context: Context) -> None:
    """/code and the My code button: the current code and voucher, to its owner only."""
    user = update.effective_user
    assert user is not None
    if update.callback_query:
        await update.callback_query.answer()
    data = context.bot_data
    record = await _latest(context, user.id)
    async with data.storage.transaction() as repos:
        issued = await repos.fulfilment.current_code(record.id) if record else None
    if record is None or issued is None:
        await reply(update, context, "fulfilment/no_code", keyboard=main_menu(context))
        return
    await send_voucher(context.bot, data, user.id, record.id, locale_of(context))


# --- activation ----------------------------------------------------------------------------


async def activate_command(update: Update, context: Context) -> None:
    """/activate [serial code]: bind the POS to the merchant with the application code."""
    user = update.effective_user
    assert user is not None
    args = context.args or []
    data = context.bot_data
    async with data.storage.transaction() as repos:
        await repos.fulfilment.end_activation(user.id)
    record = await _latest(context, user.id)
    if record is None or record.state not in (State.SHIPPED, State.ACTIVATED):
        state = label(context, f"state_{record.state}") if record else None
        await reply(update, context, "fulfilment/not_shipped", state=state)
        return
    if record.state == State.ACTIVATED:
        await reply(update, context, "fulfilment/already_active", number=record.number)
        return
    if await _locked(update, context, user.id):
        return
    if len(args) >= 2:
        serial = normalize_serial(args[0])
        if serial is None:
            await reply(update, context, "fulfilment/serial_bad")
            return
        await _try_code(update, context, serial, " ".join(args[1:]))
        return
    async with data.storage.transaction() as repos:
        await repos.fulfilment.start_activation(user.id)
    await reply(update, context, "fulfilment/ask_serial")


async def in_activation(context: Context, user_id: int) -> bool:
    """True while /activate waits for the serial or the code (kept in the database, so a
    restart in between asks nothing twice); an hour-old one is forgotten."""
    async with context.bot_data.storage.autocommit() as repos:
        session = await repos.fulfilment.activation_session(user_id)
    return session is not None and utcnow() - session.started_at < SESSION_TTL


async def on_activation_text(update: Update, context: Context) -> None:
    """The serial number, then the code, typed after /activate."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    data = context.bot_data
    async with data.storage.transaction() as repos:
        session = await repos.fulfilment.activation_session(user.id)
    raw = (message.text or "").strip()
    if session is None:
        return
    if not raw:
        await reply(update, context, "fulfilment/text_expected")
        return
    if session.serial is None:
        serial = normalize_serial(raw)
        if serial is None:
            await reply(update, context, "fulfilment/serial_bad")
            return
        async with data.storage.transaction() as repos:
            if not await repos.updates.claim(update.update_id):
                return
            wrong = await fulfilment.check_serial(repos, user.id, serial)
            if wrong is None:
                await repos.fulfilment.set_activation_serial(user.id, serial)
        if wrong is not None:
            await reply(update, context, f"fulfilment/{wrong.outcome}", **wrong.values)
            return
        await reply(update, context, "fulfilment/ask_code", serial=serial)
        return
    if await _locked(update, context, user.id):
        async with data.storage.transaction() as repos:
            await repos.fulfilment.end_activation(user.id)
        return
    await _try_code(update, context, session.serial, raw)


async def _locked(update: Update, context: Context, user_id: int) -> bool:
    settings = context.bot_data.settings
    now = utcnow()
    async with context.bot_data.storage.transaction() as repos:
        until = await fulfilment.lock_end(repos, Policy.of(settings), user_id, now)
    if until is None or until <= now:
        return False
    minutes = max(1, round((until - now).total_seconds() / 60 + 0.49))
    await reply(
        update,
        context,
        "fulfilment/locked",
        minutes=minutes,
        until=format_datetime(
            until, "HH:mm", tzinfo=settings.zone, locale=locale_of(context).replace("-", "_")
        ),
    )
    return True


async def _try_code(update: Update, context: Context, serial: str, raw_code: str) -> None:
    user = update.effective_user
    assert user is not None
    data = context.bot_data
    try:
        canonical = normalize_code(raw_code)
    except CodeError as exc:
        # A typo is caught before any lookup and is not counted as a wrong code.
        await reply(
            update,
            context,
            "fulfilment/code_typo",
            error=data.renderer.block(
                locale_of(context),
                "fulfilment/code_errors",
                exc.code.replace(".", "_"),
                **exc.params,
            ),
        )
        return
    async with data.storage.transaction() as repos:
        if not await repos.updates.claim(update.update_id):
            return
        result = await fulfilment.activate(
            repos, Policy.of(data.settings), user.id, user.first_name, serial, canonical
        )
    outcome, values = result.outcome, dict(result.values)
    if result.state is not None:
        values["state"] = label(context, f"state_{result.state}")
    if outcome in ("ok", "locked_now", "already_active", "not_shipped", "serial_mismatch"):
        async with data.storage.transaction() as repos:
            await repos.fulfilment.end_activation(user.id)
    if outcome in ("ok", "locked_now"):
        data.kick_outbox()
    if outcome == "ok":
        return
    await reply(update, context, f"fulfilment/{outcome}", **values)
