"""What staff see in the review chat: the application card, its documents and buttons."""

from __future__ import annotations

from babel.dates import format_datetime
from markupsafe import Markup
from telegram import (
    Bot,
    InlineKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import fees, notify
from bot.application import form
from bot.data import BotData
from bot.notify import Buttons, button_rows
from bot.settings import Locale
from handlers.common import keyboard
from handlers.review_album import album_note, post_documents
from storage import Repositories
from storage.applications import ApplicationRecord
from storage.readings import CHECKS


def staff_locale(data: BotData) -> Locale:
    """Staff chats use the deployment's default language."""
    return data.settings.default_locale


def staff_label(data: BotData, key: str, **values: object) -> str:
    """A button label or short text for the staff chats."""
    return data.renderer.plain_label(staff_locale(data), key, **values)


def picker_label(data: BotData, key: str) -> str:
    """The field's full name if two of them fit a phone's row (~10 CJK or ~15 Latin
    characters a button), else its short name; the prompts and summary use the full one."""
    full = staff_label(data, f"field_{key}")
    if len(full) <= (10 if any("\u4e00" <= c <= "\u9fff" for c in full) else 15):
        return full
    return staff_label(data, f"short_{key}")


async def other_language(data: BotData, application_id: int) -> str | None:
    """The merchant's language when it is not the staff chats' (reasons should be in it)."""
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
        merchant = await notify.locale_of_user(repos, data, record.merchant_id) if record else None
    if merchant is None or merchant == staff_locale(data):
        return None
    key = "merchant_language_" + merchant.replace("-", "_")
    return data.renderer.plain_label(staff_locale(data), key)


def card_rows(
    data: BotData,
    record: ApplicationRecord,
    changed: set[str] | None = None,
    readings: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """The fields as staff see them: ID, account and phone masked; the fields that changed
    since the last submission marked (`changed`; the flagged ones when it is not known); with
    OCR prefill, whether each readable field was confirmed from a photo or typed."""
    locale = staff_locale(data)
    if changed is None:
        changed = set(record.flags)
    read = readings or {}
    # Provenance only where OCR prefill ran (a field was confirmed or a photo cross-checked).
    shows_source = bool(read)
    rows = []
    for q in form.QUESTIONS:
        value = record.answers.get(q.key)
        if q.kind is form.Kind.DOCUMENT:
            shown: object = Markup(
                data.renderer.label(
                    locale, "doc_skipped" if value == form.SKIPPED else "doc_received"
                )
            )
        elif q.kind is form.Kind.CHOICE:
            shown = Markup(data.renderer.label(locale, f"choice_{q.key}_{value}"))
        else:
            shown = form.display_value(q.key, value) or ""
        rows.append(
            {
                "label": data.renderer.label(locale, f"field_{q.key}"),
                "value": shown,
                "changed": record.state != "rejected" and q.key in changed,
                "source": data.renderer.label(locale, _source(q.key, read))
                if shows_source and q.key in form.READABLE
                else None,
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


def staff_keyboard(data: BotData, rows: Buttons) -> InlineKeyboardMarkup | None:
    """Inline buttons labelled in the staff chats' language: rows of (label key, data)."""
    return keyboard(button_rows(data, staff_locale(data), rows))


async def card_text(data: BotData, repos: Repositories, record: ApplicationRecord) -> str:
    """The card's HTML text."""
    reviewer = await repos.users.get(record.reviewer_id) if record.reviewer_id else None
    locale = staff_locale(data)
    signed = await repos.fulfilment.signature(record.id)
    resubmitted = bool(record.flags) and record.state in ("submitted", "under_review")
    # Only a card waiting for a decision marks 🆕 (its legend is shown then); a decided card
    # marks nothing, else the flagged fields would look changed without a legend.
    changed = await repos.checks.changed_since_last(record.id) if resubmitted else set()
    merchant_locale = (await notify.locale_of_user(repos, data, record.merchant_id)).replace(
        "-", "_"
    )
    duplicates = [
        {
            "label": data.renderer.label(locale, f"field_{d.field}"),
            "number": d.number or "",
            "state": data.renderer.label(locale, f"state_{d.state}"),
            "merchant_no": d.merchant_no,
        }
        for d in await repos.checks.duplicates(record.id, record.answers)
    ]
    readings = await repos.readings.of(record.id)
    submitted = record.submitted_at or record.created_at
    return data.renderer.render(
        locale,
        "review/card",
        number=record.number or "",
        state=data.renderer.label(locale, f"state_{record.state}"),
        state_key=record.state,
        reviewer=reviewer.first_name if reviewer else None,
        submitted_at=format_datetime(
            submitted, "yyyy-MM-dd HH:mm", tzinfo=data.settings.zone, locale="zh_CN"
        ),
        rows=card_rows(data, record, changed, readings),
        checks=[
            data.renderer.label(locale, f"check_{item}_{readings[item]}")
            for item in CHECKS
            if item in readings
        ],
        resubmitted=resubmitted,
        duplicates=duplicates,
        language=data.renderer.label(locale, f"merchant_language_{merchant_locale}"),
        flags=[
            {
                "label": data.renderer.label(locale, f"field_{f}"),
                "reason": r,
                # Asked again and answered the same: the reviewer should look twice.
                "unchanged": changed is not None and f not in changed,
            }
            for f, r in record.flags.items()
        ],
        merchant_no=record.merchant_no,
        fees_line=fees.short_text(data.renderer, locale, fees.rates_for(signed, data.settings)),
        album=await album_note(data, repos, record, data.settings.review_chat_id, locale),
    )


async def _load(data: BotData, application_id: int) -> tuple[ApplicationRecord | None, str]:
    async with data.storage.transaction() as repos:
        record = await repos.applications.get(application_id)
        text = await card_text(data, repos, record) if record else ""
    return record, text


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
    record, text = await _load(data, application_id)
    assert record is not None
    message = await bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=card_keyboard(data, record)
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
    record, text = await _load(data, application_id)
    if record is None:
        return
    async with data.storage.transaction() as repos:
        cards = await repos.staff.messages_of(application_id, "card")
    for chat_id, message_id in cards:
        try:
            await bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=card_keyboard(data, record),
            )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                raise
