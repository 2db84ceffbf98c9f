"""What staff see in the review chat: the application card, its documents and buttons."""

from __future__ import annotations

from babel.dates import format_datetime
from telegram import (
    Bot,
    InlineKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import fees, notify
from bot.application import form
from bot.data import BotData
from bot.message_fit import fit
from bot.review.card import ReviewCard, review_card
from handlers.review_album import post_documents
from handlers.review_labels import staff_keyboard, staff_locale
from storage.applications import ApplicationRecord
from storage.readings import CHECKS


def message_link(chat_id: int, message_id: int) -> str | None:
    """https://t.me/c/… for a message in a supergroup (ids -100…); None elsewhere."""
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


async def other_language(data: BotData, application_id: int) -> str | None:
    """The merchant's language when it is not the staff chats' (reasons should be in it)."""
    locale = staff_locale(data)
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
        merchant = (
            await notify.locale_of_user(repos, record.merchant_id, locale) if record else None
        )
    if merchant is None or merchant == locale:
        return None
    key = "merchant_language_" + merchant.replace("-", "_")
    return data.renderer.plain_label(locale, key)


def card_rows(record: ApplicationRecord, changed: set[str], read: dict[str, str]) -> list[dict]:
    """The fields as staff see them: ID, account and phone masked; a document or a choice as
    its label's key (`term`); the fields that changed since the last submission marked; with
    OCR prefill, whether each readable field was confirmed from a photo or typed (`source`)."""
    # Provenance only where OCR prefill ran (a field was confirmed or a photo cross-checked).
    shows_source = bool(read)
    rows = []
    for q in form.QUESTIONS:
        value = record.answers.get(q.key)
        term = None
        if q.kind is form.Kind.DOCUMENT:
            term = "doc_skipped" if value == form.SKIPPED else "doc_received"
        elif q.kind is form.Kind.CHOICE:
            term = f"choice_{q.key}_{value}"
        rows.append(
            {
                "key": q.key,
                "term": term,
                "value": None if term else form.display_value(q.key, value) or "",
                "changed": record.state != "rejected" and q.key in changed,
                "source": _source(q.key, read) if shows_source and q.key in form.READABLE else None,
            }
        )
    return rows


def _source(key: str, read: dict[str, str]) -> str:
    if key in read:
        return "read_ocr"
    return "read_corrected" if f"corrected:{key}" in read else "read_typed"


def card_keyboard(data: BotData, record: ApplicationRecord) -> InlineKeyboardMarkup | None:
    """Take / Approve / Reject while the application waits for a decision."""
    buttons = []
    if record.state == "submitted":
        buttons.append(("btn_take", "take"))
    if record.state in ("submitted", "under_review"):
        buttons += [("btn_approve", "approve"), ("btn_reject", "reject")]
    if not buttons:
        return None
    return staff_keyboard(data, [[(key, f"rv:{record.id}:{action}") for key, action in buttons]])


def card_text(data: BotData, card: ReviewCard) -> str:
    """The card's HTML text: its facts in one render of review/card (labels named there),
    cut to fit one message as a last resort (answers are bounded, but every reason given when
    many fields were sent back can be long)."""
    record, readings, chat_id = card.record, card.readings, data.settings.review_chat_id
    # The flagged fields stand for the changed ones when the submissions cannot tell.
    changed = set(record.flags) if card.changed is None else card.changed
    album = card.album if chat_id is not None else None
    submitted = record.submitted_at or record.created_at
    locale = staff_locale(data)
    text = data.renderer.render(
        locale,
        "review/card",
        number=record.number or "",
        state=record.state,
        reviewer=card.reviewer,
        submitted_at=format_datetime(
            submitted, "yyyy-MM-dd HH:mm", tzinfo=data.settings.zone, locale="zh_CN"
        ),
        rows=card_rows(record, changed, readings),
        checks=[f"check_{item}_{readings[item]}" for item in CHECKS if item in readings],
        resubmitted=card.resubmitted,
        duplicates=card.duplicates,
        language=card.merchant_locale.replace("-", "_"),
        flags=[
            # Asked again and answered the same: the reviewer should look twice.
            {"field": f, "reason": r, "unchanged": card.changed is not None and f not in changed}
            for f, r in record.flags.items()
        ],
        merchant_no=record.merchant_no,
        fees_line=fees.short_text(data.renderer, locale, card.fees),
        album={"slots": album.slots, "link": message_link(chat_id, album.message_id)}
        if album and chat_id is not None
        else None,
    )
    return fit(text)


async def load_card(data: BotData, application_id: int) -> ReviewCard | None:
    """The card's facts, read in a transaction of their own."""
    async with data.storage.transaction() as repos:
        return await review_card(repos, application_id, data.settings)


async def post_card(bot: Bot, data: BotData, application_id: int) -> None:
    """Post the new or changed documents (one album) and then the card with its buttons.

    Every document shown is written to the staff audit log (chat, application, kind, time)
    as soon as Telegram has it, so a failure later in the post cannot leave a view unrecorded.
    """
    chat_id = data.settings.review_chat_id
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
    if chat_id is None or record is None:
        return
    posted = await post_documents(bot, data, record, chat_id, staff_locale(data))
    if posted:
        await _audit_shown(data, chat_id, application_id, posted)
    card = await load_card(data, application_id)
    assert card is not None
    message = await bot.send_message(
        chat_id,
        card_text(data, card),
        parse_mode=ParseMode.HTML,
        reply_markup=card_keyboard(data, card.record),
    )
    async with data.storage.transaction() as repos:
        await repos.staff.remember_message(chat_id, message.message_id, application_id, "card")


async def _audit_shown(data: BotData, chat_id: int, application_id: int, slots: list[str]) -> None:
    async with data.storage.transaction() as repos:
        for slot in slots:
            await repos.audit.record(
                "document_shown", chat_id=chat_id, application_id=application_id, detail=slot
            )


async def refresh_cards(bot: Bot, data: BotData, application_id: int) -> None:
    """Show the application's new state (and buttons) on every card already posted."""
    card = await load_card(data, application_id)
    if card is not None:
        await redraw(bot, data, card)


async def redraw(bot: Bot, data: BotData, card: ReviewCard) -> None:
    """Draw the card's facts on every card already posted."""
    text, markup = card_text(data, card), card_keyboard(data, card.record)
    for chat_id, message_id in card.posted:
        try:
            await bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                raise
