"""An application's documents in the review chat: one album per submission, captioned with
the application number and the documents' names; a resubmission posts only the documents that
changed and points to the earlier album for the rest."""

from __future__ import annotations

import asyncio

from telegram import Bot, InputFile, InputMediaDocument, InputMediaPhoto, Message, ReplyParameters

from bot.application import form
from bot.data import BotData
from bot.review.card import posted_before
from bot.settings import Locale
from storage.applications import ApplicationRecord, DocumentRecord


async def post_documents(
    bot: Bot, data: BotData, record: ApplicationRecord, chat_id: int, locale: Locale
) -> list[str]:
    """Post this submission's new or changed documents as one album (photos; PDFs as a second
    group, since Telegram albums cannot mix them); return the slots posted."""
    async with data.storage.transaction() as repos:
        rounds = await repos.checks.rounds(record.id)
        albums = await repos.albums.of(record.id)
    round_ = rounds[-1].round if rounds else len(albums) + 1
    if any(a.round == round_ for a in albums):
        return []  # posted already (the card is being posted again after a failure)
    shown, where = posted_before(albums, round_)
    earlier = max(where.values(), default=None)
    current = {slot: doc.sha256 for slot, doc in record.documents.items()}
    slots = [s for s in form.DOCUMENT_SLOTS if s in current and shown.get(s) != current[s]]
    names = [data.renderer.plain_label(locale, f"field_{s}") for s in slots]
    caption = data.renderer.render(
        locale,
        "review/album_caption",
        number=record.number or "",
        names=names,
        resubmitted=earlier is not None,
    )
    photos = [s for s in slots if _as_photo(record.documents[s])]
    files = [s for s in slots if s not in photos]
    reply = ReplyParameters(earlier, allow_sending_without_reply=True) if earlier else None
    first: int | None = None
    for group in (photos, files):
        if not group:
            continue
        sent = await _send_group(bot, data, record, chat_id, group, caption, reply)
        first = first or sent[0].message_id
        caption = data.renderer.render(
            locale, "review/album_caption", number=record.number or "", names=[], resubmitted=False
        )
    async with data.storage.transaction() as repos:
        await repos.albums.record(record.id, round_, current, first)
    return slots


def _as_photo(doc: DocumentRecord) -> bool:
    """A Telegram photo (no EXIF at Telegram) is re-sent as a photo; an image sent as a file
    is uploaded from the store, stripped, as a file at full resolution."""
    return doc.mime_type.startswith("image/") and bool(doc.file_id)


async def _source(data: BotData, doc: DocumentRecord) -> str | InputFile:
    if doc.file_id:
        return doc.file_id
    content = await asyncio.to_thread(data.documents.get, doc.sha256)
    return InputFile(content, filename=f"{doc.slot}{_EXTENSIONS.get(doc.mime_type, '')}")


_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


async def _send_group(
    bot: Bot,
    data: BotData,
    record: ApplicationRecord,
    chat_id: int,
    slots: list[str],
    caption: str,
    reply: ReplyParameters | None,
) -> list[Message]:
    docs = [record.documents[s] for s in slots]
    sources = [await _source(data, d) for d in docs]
    if len(docs) == 1:
        send = bot.send_photo if _as_photo(docs[0]) else bot.send_document
        return [await send(chat_id, sources[0], caption=caption, reply_parameters=reply)]
    media = [
        (InputMediaPhoto if _as_photo(d) else InputMediaDocument)(
            source, caption=caption if i == 0 else None
        )
        for i, (d, source) in enumerate(zip(docs, sources, strict=True))
    ]
    return list(await bot.send_media_group(chat_id, media, reply_parameters=reply))
