"""Staff review in the review chat: Take, Approve, Reject with a reason per flagged field."""

from __future__ import annotations

import logging

from telegram import ForceReply, Update
from telegram.constants import ParseMode

from bot.application import form
from bot.context import Context
from bot.data import BotData
from bot.parsing import strict_int
from bot.review import service as review
from handlers import review_views as views
from handlers.common import label, locale_of, text
from handlers.review_cards import other_language, refresh_cards
from handlers.review_labels import staff_keyboard, staff_label, staff_locale
from handlers.staff import require_role
from storage.reviews import PendingRejection

log = logging.getLogger(__name__)


async def on_card_button(update: Update, context: Context) -> None:
    """Take / Approve / Reject pressed on an application card (or Approve's Confirm / Cancel)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    data, locale = context.bot_data, locale_of(context)  # the presser's language, for alerts
    if not await require_role(update, data, locale, "reviewer"):
        return
    _, app_id_text, action = query.data.split(":")
    app_id = strict_int(app_id_text)
    if app_id is None:
        await query.answer(data.renderer.plain_label(locale, "stale_button"), show_alert=True)
        return
    # Approve on the card only asks; the confirmation's button approves.
    service_action = {"approve": "approve_ask", "approve_yes": "approve"}.get(action, action)
    async with data.storage.transaction() as repos:
        pressed = await review.press_card(
            repos,
            app_id,
            query.from_user.id,
            service_action,
            _chat_id(update),
            settings=data.settings,
        )
    if pressed.outcome == review.CardPress.DONE and action != "approve":  # approve only asked
        data.kick_outbox()
    await views.show_press(context.bot, data, query, locale, pressed, action)


def _chat_id(update: Update) -> int | None:
    return update.effective_chat.id if update.effective_chat else None


async def _not_yours(
    update: Update, context: Context, pending: PendingRejection, what: str
) -> None:
    """Another reviewer touched a rejection in progress: nothing changes; log and audit it."""
    user = update.effective_user
    assert user is not None
    log.warning(
        "user %s tried to %s the rejection of application %s started by %s; refused",
        user.id,
        what,
        pending.application_id,
        pending.reviewer_id,
    )
    async with context.bot_data.storage.transaction() as repos:
        await repos.audit.record(
            "rejection_not_yours_refused",
            staff_id=user.id,
            chat_id=_chat_id(update),
            application_id=pending.application_id,
            detail=what,
        )


async def _pending(data: BotData, app_id: int) -> PendingRejection | None:
    async with data.storage.transaction() as repos:
        return await repos.reviews.get(app_id)


async def _save(data: BotData, pending: PendingRejection) -> None:
    async with data.storage.transaction() as repos:
        await repos.reviews.save(pending)


async def on_reject_button(update: Update, context: Context) -> None:
    """The rejection being put together: toggle a field, go on, abort or confirm."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    data = context.bot_data
    if not await require_role(update, data, locale_of(context), "reviewer"):
        return
    parts = query.data.split(":")
    app_id = strict_int(parts[1]) if len(parts) in (3, 4) else None
    action = parts[2] if app_id is not None else ""
    pending = await _pending(data, app_id) if app_id is not None else None
    if pending is None:
        await query.answer(staff_label(data, "review_too_late"), show_alert=True)
        return
    if pending.reviewer_id != query.from_user.id:
        await _not_yours(update, context, pending, f"press {action}")
        await query.answer(label(context, "review_not_your_rejection"), show_alert=True)
        return
    await query.answer()
    if action == "t" and len(parts) == 4 and parts[3] in form.BY_KEY:
        field = parts[3]
        chosen = pending.fields
        chosen = [f for f in chosen if f != field] if field in chosen else [*chosen, field]
        chosen.sort(key=lambda f: form.step_number(form.BY_KEY[f]))
        pending.fields = chosen
        await _save(data, pending)
        await query.edit_message_reply_markup(views.picker_keyboard(data, app_id, chosen))
    elif action == "n" and pending.fields:
        await query.edit_message_reply_markup(None)
        await _ask_next_reason(update, context, pending)
    elif action == "a":
        async with data.storage.transaction() as repos:
            await repos.reviews.drop(app_id)
        await views.finish_rejection(query, data, "aborted")
    elif action == "c":
        await _confirm(update, context, app_id, pending)


async def _ask_next_reason(update: Update, context: Context, pending: PendingRejection) -> None:
    data = context.bot_data
    chat = update.effective_chat
    assert chat is not None
    app_id = pending.application_id
    missing = [f for f in pending.fields if not pending.reasons.get(f)]
    if missing:
        prompt = await context.bot.send_message(
            chat.id,
            data.renderer.render(
                staff_locale(data),
                "review/reason_prompt",
                field=staff_label(data, f"field_{missing[0]}"),
                language=await other_language(data, app_id),
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=ForceReply(selective=True),
        )
        pending.prompt_message = prompt.message_id
        await _save(data, pending)
        return
    reasons = [
        {"label": staff_label(data, f"field_{f}"), "reason": pending.reasons[f]}
        for f in pending.fields
    ]
    keyboard = staff_keyboard(
        data, [[("btn_reject_confirm", f"rj:{app_id}:c"), ("btn_reject_abort", f"rj:{app_id}:a")]]
    )

    await context.bot.send_message(
        chat.id,
        data.renderer.render(staff_locale(data), "review/reject_summary", reasons=reasons),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def on_reason_reply(update: Update, context: Context) -> None:
    """A reviewer's reply to a "reason for …" prompt."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    data = context.bot_data
    async with data.storage.transaction() as repos:
        pending = await repos.reviews.by_prompt(message.reply_to_message.message_id)
    if pending is None or not message.text:
        return
    if not await require_role(update, context.bot_data, locale_of(context), "reviewer"):
        return
    await _take_reason(update, context, pending)


async def on_group_text(update: Update, context: Context) -> None:
    """Text in the review chat that replies to nothing: the reason the sender's rejection is
    waiting for, if it waits for one (several: they are told to reply to the prompt)."""
    message, user = update.effective_message, update.effective_user
    data = context.bot_data
    if message is None or user is None or not message.text:
        return
    if message.chat_id != data.settings.review_chat_id:
        return
    async with data.storage.transaction() as repos:
        waiting = await repos.reviews.awaiting_reason(user.id)
    if not waiting:
        return
    if len(waiting) > 1:
        numbers = []
        async with data.storage.transaction() as repos:
            for pending in waiting:
                record = await repos.applications.get(pending.application_id)
                numbers.append(record.number if record and record.number else "")
        await message.reply_text(
            text(context, "review/reason_which", numbers=numbers),
            parse_mode=ParseMode.HTML,
            do_quote=True,
        )
        return
    if not await require_role(update, context.bot_data, locale_of(context), "reviewer"):
        return
    await _take_reason(update, context, waiting[0])


async def _take_reason(update: Update, context: Context, pending: PendingRejection) -> None:
    """The reason for the next field of the rejection in progress."""
    message = update.effective_message
    assert message is not None and message.text is not None
    data = context.bot_data
    if message.from_user is None or pending.reviewer_id != message.from_user.id:
        # Only the reviewer who started the rejection gives its reasons.
        await _not_yours(update, context, pending, "give a reason")
        await message.reply_text(
            text(context, "review/reason_not_yours"), parse_mode=ParseMode.HTML, do_quote=True
        )
        return
    missing = [f for f in pending.fields if not pending.reasons.get(f)]
    if not missing:
        return
    pending.reasons[missing[0]] = message.text.strip()[:300]
    pending.prompt_message = None
    await _save(data, pending)
    await _ask_next_reason(update, context, pending)


async def _confirm(
    update: Update, context: Context, app_id: int, pending: PendingRejection
) -> None:
    data = context.bot_data
    query = update.callback_query
    assert query is not None
    reasons = {f: pending.reasons[f] for f in pending.fields}
    async with data.storage.transaction() as repos:
        done = await review.confirm_rejection(repos, app_id, query.from_user.id, reasons)
    await views.finish_rejection(query, data, "rejected" if done else "too_late")
    if not done:
        log.info("rejection of application %s came too late", app_id)
    data.kick_outbox()
    await refresh_cards(context.bot, data, app_id)
