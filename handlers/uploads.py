"""A form answer that is a photo or a file: refuse by Telegram's size, download, hand to the
application service to check and store."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.error import TelegramError

from bot.application import form
from bot.application import service as application
from bot.application.service import MIB
from bot.application.validation import FieldError
from bot.context import Context
from storage.applications import DocumentRecord

log = logging.getLogger(__name__)


async def receive_document(
    message: Message, context: Context, draft: form.Draft, slot: str
) -> DocumentRecord:
    """Download, check by real content, store encrypted; refuse reuse in another slot."""
    settings = context.bot_data.settings
    max_bytes = int(settings.max_document_mb * MIB)
    if message.photo:
        attachment, declared, name = message.photo[-1], "image/jpeg", None
    elif message.document:
        doc = message.document
        attachment, declared, name = doc, doc.mime_type, doc.file_name
    else:
        raise FieldError("document.expected")
    if attachment.file_size and attachment.file_size > max_bytes:
        # Refuse before downloading: Telegram says how big it is.
        raise FieldError(
            "document.too_large",
            {"size_mb": round(attachment.file_size / MIB, 1), "max_mb": settings.max_document_mb},
        )
    try:
        tg_file = await attachment.get_file()
        data = bytes(await tg_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("download of a %s failed: %r", slot, exc)
        raise FieldError("document.download_failed") from None
    return await application.store_document(
        context.bot_data.documents,
        application.Policy.of(settings),
        draft,
        slot,
        data,
        declared_mime=declared,
        file_name=name,
        file_id=attachment.file_id,
        file_unique_id=attachment.file_unique_id,
        sent_as_photo=bool(message.photo),
    )
