"""What the merchant sees of the application form: the questions, the review page, confirmations.

The status card of a submitted application is handlers/status_views.py.
"""

from __future__ import annotations

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.application import form
from bot.application.service import answered
from bot.application.validation import FieldError
from bot.context import Context
from handlers.common import label, locale_of, text
from handlers.privacy_views import has_consent, send_consent
from storage.applications import ApplicationRecord

TOTAL = len(form.QUESTIONS)


def draft_of(record: ApplicationRecord) -> form.Draft:
    """The domain view of a stored draft."""
    fixing = record.state == "rejected"
    editing = None if record.editing == form.FIXING else record.editing
    return form.Draft(
        record.id,
        dict(record.answers),
        editing,
        to_fix=list(record.to_fix or []) if fixing else [],
        fixing=fixing,
    )


def error_text(context: Context, error: FieldError) -> str:
    """The message for a rejected answer, in the merchant's language."""
    renderer = context.bot_data.renderer
    params = dict(error.params)
    if "slot" in params:
        params["slot"] = label(context, f"field_{params['slot']}")
    return renderer.block(
        locale_of(context), "apply/errors", error.code.replace(".", "_"), **params
    )


def _cb(draft: form.Draft, *parts: str) -> str:
    return ":".join(("ap", str(draft.application_id), *parts))


def question_keyboard(context: Context, draft: form.Draft, q: form.Question):
    """Buttons for a choice question, or Skip for an optional document."""
    if q.kind is form.Kind.CHOICE:
        options = form.allowed_choices(draft, q.key)
        buttons = [
            InlineKeyboardButton(
                label(context, f"choice_{q.key}_{value}"),
                callback_data=_cb(draft, "c", q.key, value),
            )
            for value in options
        ]
        width = 2 if len(buttons) > 3 else 1
        return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])
    if q.optional:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        label(context, "btn_skip"), callback_data=_cb(draft, "skip", q.key)
                    )
                ]
            ]
        )
    return None


async def ask(
    chat_id: int,
    context: Context,
    draft: form.Draft,
    error: str | None = None,
    *,
    consented: bool = False,
) -> None:
    """Send the question the draft is at (or the review page when every field is answered);
    the privacy notice instead while the merchant has not agreed to the current version.
    consented=True: the caller read the consent while handling this update (no second read)."""
    # Every way into the form (new, resume, restart, fix, a draft older than the notice)
    # comes through here, so none of them can skip consent.
    if not consented and not await has_consent(chat_id, context):
        await send_consent(chat_id, context)
        return
    reader = context.bot_data.reader
    draft.documents_first = reader is not None and reader.enabled
    q = form.next_field(draft)
    if q is None:
        await send_review(chat_id, context, draft, error)
        return
    a = draft.answers
    question = context.bot_data.renderer.block(
        locale_of(context),
        "apply/questions",
        q.key,
        enterprise=a.get("subject_type") == "enterprise",
        personal=a.get("account_kind") == "personal_card",
        legal_rep_name=a.get("legal_rep_name", ""),
        merchant_name=a.get("merchant_name", ""),
    )
    body = text(
        context,
        "apply/ask",
        step=form.step_number(q, draft),
        total=TOTAL,
        question=Markup(question),
        error=Markup(error) if error else None,
        editing=draft.editing is not None,
        # fixing a sent-back application: how many flagged items are left, this one included
        fixing_left=len(draft.to_fix) if draft.fixing and q.key in draft.to_fix else 0,
    )
    await context.bot.send_message(
        chat_id, body, parse_mode=ParseMode.HTML, reply_markup=question_keyboard(context, draft, q)
    )


def review_rows(context: Context, draft: form.Draft) -> list[dict[str, str]]:
    """Every answer with its label; sensitive numbers masked, documents summarised."""
    rows = []
    for q in form.QUESTIONS:
        value = draft.answers.get(q.key)
        if q.kind is form.Kind.DOCUMENT:
            shown = label(context, "doc_skipped" if value == form.SKIPPED else "doc_received")
        elif q.kind is form.Kind.CHOICE:
            shown = label(context, f"choice_{q.key}_{value}")
        else:
            shown = form.display_value(q.key, value) or ""
        rows.append(
            {
                "label": label(context, f"field_{q.key}"),
                "value": Markup(shown) if q.kind is not form.Kind.TEXT else shown,
            }
        )
    return rows


async def send_review(
    chat_id: int, context: Context, draft: form.Draft, error: str | None = None
) -> None:
    """The review page: all answers, an Edit button per field, then Submit."""
    edit_buttons = [
        InlineKeyboardButton(
            # Short names on the buttons (they must fit a phone); the message has the full
            # ones, numbered the same way.
            label(context, "btn_edit", n=i, field=label(context, f"short_{q.key}")),
            callback_data=_cb(draft, "e", q.key),
        )
        for i, q in enumerate(form.QUESTIONS, start=1)
    ]
    rows = [edit_buttons[i : i + 2] for i in range(0, len(edit_buttons), 2)]
    rows.append([InlineKeyboardButton(label(context, "btn_submit"), callback_data=_cb(draft, "s"))])
    body = text(context, "apply/review", rows=review_rows(context, draft))
    if error:
        body = f"⚠️ {error}\n\n{body}"
    await context.bot.send_message(
        chat_id, body, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


def _confirm(context: Context, *rows: tuple[str, str]) -> InlineKeyboardMarkup:
    """One button per row: (label key, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label(context, key), callback_data=data)] for key, data in rows]
    )


async def send_resume_offer(chat_id: int, context: Context, draft: form.Draft) -> None:
    """A half-filled draft: resume it or start over."""
    buttons = [
        InlineKeyboardButton(label(context, "btn_resume"), callback_data=_cb(draft, "r")),
        InlineKeyboardButton(label(context, "btn_restart"), callback_data=_cb(draft, "n")),
    ]
    await context.bot.send_message(
        chat_id,
        text(context, "apply/resume", done=answered(draft), total=TOTAL),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def send_withdraw_confirm(chat_id: int, context: Context, record: ApplicationRecord) -> None:
    """Ask before withdrawing a submitted application."""
    keyboard = _confirm(
        context, ("btn_withdraw_yes", f"ap:{record.id}:w"), ("btn_cancel_no", "menu:status")
    )
    await context.bot.send_message(
        chat_id,
        text(context, "apply/withdraw_confirm", number=record.number),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def send_cancel_confirm(chat_id: int, context: Context, draft: form.Draft) -> None:
    """Ask before discarding the draft."""
    keyboard = _confirm(
        context, ("btn_cancel_yes", _cb(draft, "x")), ("btn_cancel_no", _cb(draft, "r"))
    )
    await context.bot.send_message(
        chat_id,
        text(context, "apply/cancel_confirm"),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def send_draft_reminder(chat_id: int, context: Context, draft: form.Draft) -> None:
    """/status while a draft is open: how far it is."""
    await context.bot.send_message(
        chat_id,
        text(context, "apply/draft_reminder", done=answered(draft), total=TOTAL),
        parse_mode=ParseMode.HTML,
    )
