"""/privacy, /mydata, /deletemydata (PIPL data rights) and the pv: buttons.

The privacy notice's I agree / I don't agree buttons are handled in handlers/consent.py.

Everything here answers in the private chat only: an export or an overview in a group would
show one merchant's data to everyone in it.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType, ParseMode

from bot import privacy
from bot.application import form
from bot.context import Context
from bot.masking import mask_name
from bot.privacy import service
from handlers import users
from handlers.common import drop_keyboard, label, text
from handlers.consent import agree, decline
from handlers.privacy_views import plabel, when
from storage.applications import ApplicationRecord

log = logging.getLogger(__name__)


async def _private(update: Update, context: Context, command: str) -> bool:
    """True in a private chat; elsewhere say where to use the command and show nothing."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return True
    if update.callback_query:
        await update.callback_query.answer(label(context, "stale_button"))
    elif chat is not None:
        await context.bot.send_message(
            chat.id,
            text(context, "privacy/private_only", command=command),
            parse_mode=ParseMode.HTML,
        )
    return False


# ---------------------------------------------------------------------------- /privacy


def _masked_fields(context: Context, record: ApplicationRecord) -> list[dict[str, str]]:
    """Every answered field with a masked value: what the bot holds, not the data itself."""
    rows = []
    for q in form.QUESTIONS:
        if q.key not in record.answers:
            continue
        value = record.answers[q.key]
        if q.kind is form.Kind.DOCUMENT:
            shown = (
                label(context, "doc_skipped")
                if value == form.SKIPPED
                else plabel(context, "doc_held")
            )
        elif q.kind is form.Kind.CHOICE:
            shown = label(context, f"choice_{q.key}_{value}")
        elif q.key == "legal_rep_name" or (
            q.key == "account_holder" and record.answers.get("account_kind") == "personal_card"
        ):
            shown = mask_name(str(value))
        elif q.key == "address":
            shown = str(value)[:6] + "***"
        else:
            shown = form.display_value(q.key, value) or ""
        rows.append({"label": label(context, f"field_{q.key}"), "value": shown})
    return rows


async def privacy_command(update: Update, context: Context) -> None:
    """/privacy: the short policy and what the bot holds about this merchant, masked."""
    if not await _private(update, context, "/privacy"):
        return
    user = update.effective_user
    assert user is not None
    async with context.bot_data.storage.transaction() as repos:
        held = await privacy.holdings(repos, user.id)
    application = None
    if held.application is not None:
        application = {
            "number": held.application.number,
            "state": label(context, f"state_{held.application.state}"),
            "fields": _masked_fields(context, held.application),
        }
    consent = (
        {"at": when(context, held.consent.agreed_at), "version": held.consent.version}
        if held.consent
        else None
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(plabel(context, "btn_export"), callback_data="pv:exp"),
                InlineKeyboardButton(plabel(context, "btn_delete"), callback_data="pv:del"),
            ]
        ]
    )
    await context.bot.send_message(
        user.id,
        text(
            context,
            "privacy/overview",
            version=privacy.POLICY_VERSION,
            application=application,
            applications=held.applications,
            documents=held.documents,
            tickets=held.tickets,
            consent=consent,
            **privacy.retention(context.bot_data.settings),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


# ---------------------------------------------------------------------------- /mydata


async def mydata_command(update: Update, context: Context) -> None:
    """/mydata: data.json and the merchant's documents, zipped (several ZIPs past Telegram's
    file size limit), in their private chat."""
    if not await _private(update, context, "/mydata"):
        return
    user = update.effective_user
    assert user is not None
    if update.callback_query:
        await update.callback_query.answer()
    data = context.bot_data
    async with data.storage.transaction() as repos:
        export = await privacy.collect_export(repos, user.id)
    archive = await service.build_archive(data, export, user.id)
    total = len(archive.parts)
    for part, content in enumerate(archive.parts, start=1):
        name = "mydata.zip" if total == 1 else f"mydata-{part}-of-{total}.zip"
        await context.bot.send_document(
            user.id,
            InputFile(content, filename=name),
            caption=text(context, "privacy/export_caption", part=part, parts=total),
            parse_mode=ParseMode.HTML,
        )
    async with data.storage.transaction() as repos:
        await service.exported(repos, user.id, archive)


# ---------------------------------------------------------------------------- erasure


async def deletemydata_command(update: Update, context: Context) -> None:
    """/deletemydata and the Delete button: say what goes and what stays, then confirm."""
    if not await _private(update, context, "/deletemydata"):
        return
    user = update.effective_user
    assert user is not None
    if update.callback_query:
        await update.callback_query.answer()
    async with context.bot_data.storage.transaction() as repos:
        blocked = await privacy.blocking_application(repos, user.id)
        contract = await privacy.has_contract(repos, user.id)
    if blocked is not None:
        await _send_blocked(user.id, context, blocked)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(plabel(context, "btn_erase_yes"), callback_data="pv:erase")],
            [InlineKeyboardButton(plabel(context, "btn_erase_no"), callback_data="pv:keep")],
        ]
    )
    await context.bot.send_message(
        user.id,
        text(
            context,
            "privacy/erase_confirm",
            contract=contract,
            **privacy.retention(context.bot_data.settings),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def _send_blocked(chat_id: int, context: Context, blocked: privacy.ErasureBlocked) -> None:
    await context.bot.send_message(
        chat_id,
        text(
            context,
            "privacy/erase_blocked",
            number=blocked.number or "",
            state=blocked.state,
            state_label=label(context, f"state_{blocked.state}"),
        ),
        parse_mode=ParseMode.HTML,
    )


async def _erase(update: Update, context: Context) -> None:
    """Confirmed: erase, delete the files after the commit, say what was deleted and kept."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    data = context.bot_data
    await query.answer()
    await drop_keyboard(query.message)
    async with data.storage.transaction() as repos:
        result = await privacy.erase(repos, user.id)
    if isinstance(result, privacy.ErasureBlocked):
        await _send_blocked(user.id, context, result)
        return
    await service.delete_files(data, result.blobs)
    users.forget_profile(context.user_data)
    if context.user_data is not None:
        context.user_data.extras.clear()  # what the conversation held goes with the rows
    log.info("user %s erased their data: %s; kept %s", user.id, result.deleted, result.kept)
    await context.bot.send_message(
        user.id,
        text(
            context,
            "privacy/erased",
            deleted=result.deleted,
            kept=result.kept,
            **privacy.retention(data.settings),
        ),
        parse_mode=ParseMode.HTML,
    )


async def on_button(update: Update, context: Context) -> None:
    """The pv: buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await _private(update, context, "/privacy"):
        return
    _, action, *rest = [*query.data.split(":"), ""]
    match action:
        case "ok":
            await agree(update, context, rest[0])
        case "no":
            await decline(update, context)
        case "exp":
            await mydata_command(update, context)
        case "del":
            await deletemydata_command(update, context)
        case "erase":
            await _erase(update, context)
        case "keep":
            await query.answer()
            await drop_keyboard(query.message)
            await context.bot.send_message(
                query.from_user.id,
                text(context, "privacy/erase_cancelled"),
                parse_mode=ParseMode.HTML,
            )
        case _:
            await query.answer(label(context, "stale_button"))
