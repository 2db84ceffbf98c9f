"""The application conversation: /apply, answers, buttons, edits, cancelling and submit (~300
lines: one conversation, each of its Telegram entry points a short adapter over bot.application).

/status and /cancel, which work outside the form too, are handlers/status.py.

Every accepted answer is committed before the next question is sent, and the position is
derived from the stored draft, so a restart at any step loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import CallbackQuery, Update
from telegram.constants import ParseMode

from bot.application import form
from bot.application import service as application
from bot.application.validation import FieldError
from bot.context import Context
from bot.privacy import POLICY_VERSION
from handlers import prefill
from handlers.application_views import (
    TOTAL,
    ask,
    draft_of,
    error_text,
    send_resume_offer,
    send_review,
)
from handlers.common import drop_keyboard, label, reply, settle_question, text
from handlers.privacy_views import send_consent
from handlers.review_cards import refresh_cards
from handlers.status_views import send_status
from handlers.uploads import receive_document

log = logging.getLogger(__name__)


async def apply_command(update: Update, context: Context) -> None:
    """/apply and the Apply button: start, resume, or show the status of what was submitted."""
    user = update.effective_user
    assert user is not None
    if update.callback_query:
        await update.callback_query.answer()
    async with context.bot_data.storage.transaction() as repos:
        draft = await repos.applications.draft_of(user.id)
        latest = None if draft else await repos.applications.latest_of(user.id)
    if latest is not None and latest.state != "cancelled":
        await send_status(user.id, context, latest)
    elif draft is None or not draft.answers:
        await _start_new(user.id, context)
    else:
        await send_resume_offer(user.id, context, draft_of(draft))


async def _start_new(user_id: int, context: Context) -> None:
    """Open a draft (or reuse the empty one) and ask the first question."""
    async with context.bot_data.storage.transaction() as repos:
        record = await application.open_draft(repos, user_id)
    await context.bot.send_message(
        user_id, text(context, "apply/intro", total=TOTAL), parse_mode=ParseMode.HTML
    )
    await ask(user_id, context, draft_of(record))


async def on_message(update: Update, context: Context) -> bool:
    """A message while the form runs: the answer to the current question. False (nothing
    done) when no form runs: the message is something else."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    async with context.bot_data.storage.autocommit() as repos:
        found = await repos.applications.form_for(
            user.id, consent_version=POLICY_VERSION, update_id=update.update_id
        )
    if found is None:
        return False
    consented, repeated = found.consented, found.repeated
    draft = draft_of(found.record)
    draft.documents_first = prefill.on(context)
    if not consented:
        # No answer is stored before the merchant agreed to the privacy notice: the notice
        # again, and why their message was not taken.
        await send_consent(user.id, context)
        await reply(update, context, "privacy/agree_first")
        return True
    if repeated:
        # Delivered again after a crash: the answer is stored already; show where the form is.
        await ask(user.id, context, draft, consented=True)
        return True
    q = form.next_field(draft)
    try:
        if message.forward_origin is not None:
            raise FieldError("text.forwarded")
        if q is None:
            raise FieldError("choice.expected")
        if q.kind is form.Kind.DOCUMENT:
            doc = await receive_document(message, context, draft, q.key)
            await _commit(update, context, draft, q.key, doc, read=True)
        elif q.kind is form.Kind.CHOICE:
            raise FieldError("choice.expected")
        elif not message.text:
            raise FieldError("text.expected")
        else:
            today = datetime.now(context.bot_data.settings.zone).date()
            value = form.accept_text(draft, q.key, message.text, today=today)
            await _commit(update, context, draft, q.key, value)
    except FieldError as exc:
        await ask(user.id, context, draft, error_text(context, exc), consented=True)
    return True


async def on_button(update: Update, context: Context) -> None:
    """A button of the form: a choice, Skip, Edit, Submit, Resume, Start over or Cancel."""
    query = update.callback_query
    assert query is not None and query.data is not None
    user = query.from_user
    parts = query.data.split(":")
    if len(parts) < 3:  # not a button we ever made
        await query.answer(label(context, "stale_button"))
        return
    _, app_id, action, *args = parts
    field, arg = ([*args, "", ""])[:2]
    if action == "f":
        await _start_fixing(update, context, app_id)
        return
    if action == "w":
        await _withdraw(update, context, app_id)
        return
    async with context.bot_data.storage.autocommit() as repos:
        found = await repos.applications.form_for(user.id, consent_version=POLICY_VERSION)
    record = found.record if found is not None else None
    consented = found is not None and found.consented
    if record is None or str(record.id) != app_id:
        await query.answer(label(context, "stale_button"))
        await drop_keyboard(query.message)
        return
    if not consented and action in ("c", "skip", "e", "s", *prefill.ACTIONS):
        # An answer, an edit or a submit from before the notice: the notice first.
        await query.answer()
        await send_consent(user.id, context)
        return
    draft = draft_of(record)
    draft.documents_first = prefill.on(context)
    if action in prefill.ACTIONS:
        if await prefill.on_button(update, context, draft, action, field, arg):
            await ask(user.id, context, draft, consented=True)
        return
    q = form.next_field(draft)
    current = q.key if q is not None else None
    if action == "c" and q is not None and field == current:
        try:
            value = form.accept_choice(draft, q.key, arg)
        except FieldError as exc:
            await query.answer()
            await ask(user.id, context, draft, error_text(context, exc), consented=True)
            return
        await _commit(update, context, draft, q.key, value, pressed=query)
    elif action == "skip" and q is not None and q.optional and field == current:
        await _commit(update, context, draft, q.key, form.SKIPPED, pressed=query)
    elif action == "e" and q is None and field in form.BY_KEY:
        await query.answer()
        async with context.bot_data.storage.transaction() as repos:
            await application.edit(repos, draft, field)
        await ask(user.id, context, draft, consented=True)
    elif action == "s" and q is None and draft.complete:
        await _acknowledge(query)
        await _submit(update, context, draft)
    elif action == "r":
        await query.answer()
        await drop_keyboard(query.message)
        await ask(user.id, context, draft)
    elif action in ("n", "x") and not draft.fixing:
        await query.answer()
        await drop_keyboard(query.message)
        await _discard(context, draft, user.id)
        if action == "n":
            await _start_new(user.id, context)
        else:
            await context.bot.send_message(
                user.id, text(context, "apply/cancelled"), parse_mode=ParseMode.HTML
            )
    else:
        # A button from an older question: say so and repeat where the form really is.
        await query.answer(label(context, "stale_button"))
        await ask(user.id, context, draft)


async def _acknowledge(query: CallbackQuery) -> None:
    """Answer the press and settle its question (the choice shown, the buttons gone), both
    at once."""
    await asyncio.gather(query.answer(), settle_question(query.message, query.data))


async def _commit(
    update: Update,
    context: Context,
    draft: form.Draft,
    key: str,
    value: object,
    *,
    read: bool = False,
    pressed: CallbackQuery | None = None,
) -> None:
    """Store one answer (exactly once per update), settle edits, then ask what comes next;
    ``read``: a photo, whose fields OCR prefill may propose first; ``pressed``: the button
    press that answered, acknowledged while the next question is sent."""
    async with context.bot_data.storage.transaction() as repos:
        saved = await application.save_answer(repos, draft, key, value, update.update_id)
    if not saved:  # handled concurrently by another delivery of the same update
        if pressed is not None:
            await _acknowledge(pressed)
        return
    chat = update.effective_chat
    assert chat is not None
    if read and await prefill.offer(chat.id, context, draft, key):
        return  # the proposal's buttons lead on to the next question
    # Every caller checked consent. The press's answer, its question's edit and the next
    # question go out together: one round trip to Telegram for the merchant to wait, not two.
    next_question = ask(chat.id, context, draft, consented=True)
    if pressed is None:
        await next_question
    else:
        await asyncio.gather(_acknowledge(pressed), next_question)


async def _submit(update: Update, context: Context, draft: form.Draft) -> None:
    """Number the application (or resubmit the fixed one), queue its card for the reviewers
    in the same transaction, and tell the merchant what happens next."""
    user = update.effective_user
    assert user is not None
    data = context.bot_data
    day = datetime.now(data.settings.zone).strftime("%Y%m%d")
    async with data.storage.transaction() as repos:
        number = await application.submit(
            repos,
            application.Policy.of(data.settings),
            draft,
            actor=user.id,
            update_id=update.update_id,
            day=day,
        )
    if number is None:
        return
    template = "apply/resubmitted" if draft.fixing else "apply/submitted"
    await context.bot.send_message(
        user.id, text(context, template, number=number), parse_mode=ParseMode.HTML
    )
    data.kick_outbox()


async def _withdraw(update: Update, context: Context, app_id: str) -> None:
    """The merchant confirmed withdrawing a submitted application (before shipping)."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    data = context.bot_data
    async with data.storage.transaction() as repos:
        record = await application.withdraw(
            repos, application.Policy.of(data.settings), user.id, app_id
        )
    await drop_keyboard(query.message)
    if record is None:
        await query.answer(label(context, "stale_button"), show_alert=True)
        return
    await query.answer()
    await context.bot.send_message(
        user.id, text(context, "apply/withdrawn", number=record.number), parse_mode=ParseMode.HTML
    )
    data.kick_outbox()
    await refresh_cards(context.bot, data, int(app_id))


async def _start_fixing(update: Update, context: Context, app_id: str) -> None:
    """The Fix button under a rejection: re-ask only the flagged fields."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    async with context.bot_data.storage.transaction() as repos:
        record = await application.start_fixing(repos, user.id, app_id)
    if record is None:
        await query.answer(label(context, "stale_button"))
        await drop_keyboard(query.message)
        return
    await query.answer()
    await drop_keyboard(query.message)
    await ask(user.id, context, draft_of(record))


async def _discard(context: Context, draft: form.Draft, actor: int) -> None:
    """Delete the draft, then the stored files nothing else references."""
    async with context.bot_data.storage.transaction() as repos:
        orphans = await application.discard(repos, draft.application_id, actor)
    application.delete_files(context.bot_data.documents, orphans)


__all__ = [
    "apply_command",
    "on_button",
    "on_message",
    "send_review",
]
