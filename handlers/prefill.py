"""OCR prefill in the chat: after the licence or ID card photo, one message proposes what it
shows, a ✅ / ✏️ pair of buttons per field (and ✅ for all). A confirmed field is stored and
not asked; ✏️ leaves it to be asked as usual. The form goes on once every field is decided.

The message's own buttons are the state: each tap removes its field's row.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from bot.application import form
from bot.context import Context
from bot.ocr import service as ocr
from handlers.common import label, text

# Button actions of the proposal message: confirm one, edit one, confirm all.
ACTIONS = ("ok", "no", "oka")


def on(context: Context) -> bool:
    """True when OCR prefill runs (the setting is on and the OCR package is installed)."""
    reader = context.bot_data.reader
    return reader is not None and reader.enabled


def _today(context: Context):
    return datetime.now(context.bot_data.settings.zone).date()


def _shown(context: Context, key: str, value: str) -> str:
    if form.BY_KEY[key].kind is form.Kind.CHOICE:
        return label(context, f"choice_{key}_{value}")
    return value


def _keyboard(context: Context, draft: form.Draft, found: ocr.Proposal) -> InlineKeyboardMarkup:
    code = ocr.SLOTS[found.slot]
    prefix = f"ap:{draft.application_id}"
    rows = []
    for key, value in found.values.items():
        name = label(context, f"field_{key}")
        rows.append(
            [
                InlineKeyboardButton(
                    label(context, "btn_prefill_ok", field=name),
                    callback_data=f"{prefix}:ok:{key}:{code}{ocr.token(value)}",
                ),
                InlineKeyboardButton(
                    label(context, "btn_prefill_edit", field=name),
                    callback_data=f"{prefix}:no:{key}:{code}",
                ),
            ]
        )
    if len(rows) > 1:
        all_ok = label(context, "btn_prefill_all")
        rows.append([InlineKeyboardButton(all_ok, callback_data=f"{prefix}:oka:{code}")])
    return InlineKeyboardMarkup(rows)


async def offer(chat_id: int, context: Context, draft: form.Draft, slot: str) -> bool:
    """Read the photo just stored in ``slot`` and propose what it shows; True if a proposal
    was sent (the next question waits for the merchant's taps)."""
    if slot not in ocr.SLOTS or not on(context):
        return False
    data = context.bot_data
    today = _today(context)
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    fields = await ocr.read_photo(data, slot, draft, today=today)
    found = ocr.proposal(draft, slot, fields, today=today)
    if found.checks:
        async with data.storage.transaction() as repos:
            await ocr.record_checks(repos, draft, found)
    expired = found.checks.get("id_validity") == "expired"
    if not found.values and not found.id_name and not expired:
        return False
    rows = [
        {"label": label(context, f"field_{key}"), "value": _shown(context, key, value)}
        for key, value in found.values.items()
    ]
    body = text(
        context,
        "apply/prefill",
        slot=slot,
        rows=rows,
        id_name=found.id_name,
        legal_rep_name=draft.answers.get("legal_rep_name", ""),
        expired=expired,
    )
    keyboard = _keyboard(context, draft, found) if found.values else None
    await context.bot.send_message(chat_id, body, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    return bool(found.values)


def _open_rows(message: Message | None) -> dict[str, str]:
    """The fields still undecided on a proposal message: field -> its ✅ button's argument."""
    if message is None or message.reply_markup is None:
        return {}
    rows: dict[str, str] = {}
    for row in message.reply_markup.inline_keyboard:
        parts = str(row[0].callback_data or "").split(":")
        if len(parts) == 5 and parts[2] == "ok":
            rows[parts[3]] = parts[4]
    return rows


async def on_button(
    update: Update, context: Context, draft: form.Draft, action: str, field: str, arg: str
) -> bool:
    """A ✅ / ✏️ / ✅-all tap on a proposal; True if the form has moved on (ask next)."""
    query = update.callback_query
    assert query is not None
    message = query.message if isinstance(query.message, Message) else None
    open_rows = _open_rows(message)
    code = field if action == "oka" else arg[:1]
    slot = ocr.SLOT_OF.get(code)
    if action == "oka":
        wanted = dict(open_rows)
    elif action == "ok" and field in open_rows:
        wanted = {field: arg}
    else:
        wanted = {}
    decided = set(wanted) | ({field} if action == "no" else set())
    stored: list[str] = []
    if wanted and slot is not None:
        today = _today(context)
        read = await ocr.read_photo(context.bot_data, slot, draft, today=today)
        values = {
            key: read[key]
            for key, argument in wanted.items()
            if key in read and f"{ocr.SLOTS[slot]}{ocr.token(read[key])}" == argument
        }
        async with context.bot_data.storage.transaction() as repos:
            stored = await ocr.confirm(repos, draft, slot, values, update.update_id, today=today)
    if action == "no" and field in open_rows and slot is not None and not draft.has(field):
        # For the reviewer: the merchant said the photo's reading of this field is wrong.
        async with context.bot_data.storage.transaction() as repos:
            await ocr.record_correction(repos, draft, field, slot)
    await query.answer(label(context, "prefill_saved") if stored else None)
    # The draft, not only the message, says what is decided: taps quicker than the message's
    # edits each see the buttons as they were before the previous tap.
    remaining = {
        key: value for key, value in open_rows.items() if key not in decided and not draft.has(key)
    }
    await _shrink(message, remaining)
    return not remaining


async def _shrink(message: Message | None, remaining: dict[str, str]) -> None:
    """Take the decided fields' rows off the proposal (all rows once none is left)."""
    if message is None or message.reply_markup is None:
        return
    rows = [row for row in message.reply_markup.inline_keyboard if _row_field(row) in remaining]
    if len(rows) > 1:
        rows.append(list(message.reply_markup.inline_keyboard[-1]))
    with contextlib.suppress(TelegramError):
        await message.edit_reply_markup(InlineKeyboardMarkup(rows) if rows else None)


def _row_field(row: tuple[InlineKeyboardButton, ...]) -> str:
    parts = str(row[0].callback_data or "").split(":")
    return parts[3] if len(parts) == 5 and parts[2] == "ok" else ""
