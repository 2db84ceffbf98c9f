"""An application's documents in the review chat: one album per submission, captioned with
the application number and the documents' names; a resubmission posts only the documents that
changed and points to the earlier album for the rest."""

from __future__ import annotations

from telegram import Bot, InputMediaDocument, InputMediaPhoto, Message, ReplyParameters

from bot.application import form
from bot.data import BotData
from bot.settings import Locale
from storage import Repositories
from storage.applications import ApplicationRecord
from storage.reviews import ReviewAlbum


def message_link(chat_id: int, message_id: int) -> str | None:
    """https://t.me/c/… for a message in a supergroup (ids -100…); None elsewhere."""
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


def _earlier(albums: list[ReviewAlbum], round_: int) -> tuple[dict[str, str], dict[str, int]]:
    """Before `round_`: each document's sha256 as last submitted, and the album message each
    was last posted in (a round posts only what changed)."""
    shown: dict[str, str] = {}
    where: dict[str, int] = {}
    for album in albums:
        if album.round >= round_:
            break
        for slot, sha in album.documents.items():
            if shown.get(slot) != sha and album.message_id is not None:
                where[slot] = album.message_id
            shown[slot] = sha
    return shown, where


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
    shown, where = _earlier(albums, round_)
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
    photos = [s for s in slots if record.documents[s].mime_type.startswith("image/")]
    files = [s for s in slots if s not in photos]
    reply = ReplyParameters(earlier, allow_sending_without_reply=True) if earlier else None
    first: int | None = None
    for group in (photos, files):
        if not group:
            continue
        sent = await _send_group(bot, record, chat_id, group, caption, reply)
        first = first or sent[0].message_id
        caption = data.renderer.render(
            locale, "review/album_caption", number=record.number or "", names=[], resubmitted=False
        )
    async with data.storage.transaction() as repos:
        await repos.albums.record(record.id, round_, current, first)
    return slots


async def _send_group(
    bot: Bot,
    record: ApplicationRecord,
    chat_id: int,
    slots: list[str],
    caption: str,
    reply: ReplyParameters | None,
) -> list[Message]:
    docs = [record.documents[s] for s in slots]
    if len(docs) == 1:
        doc = docs[0]
        send = bot.send_photo if doc.mime_type.startswith("image/") else bot.send_document
        return [await send(chat_id, doc.file_id, caption=caption, reply_parameters=reply)]
    media = [
        (InputMediaPhoto if d.mime_type.startswith("image/") else InputMediaDocument)(
            d.file_id, caption=caption if i == 0 else None
        )
        for i, d in enumerate(docs)
    ]
    return list(await bot.send_media_group(chat_id, media, reply_parameters=reply))


async def album_note(
    data: BotData,
    repos: Repositories,
    record: ApplicationRecord,
    chat_id: int | None,
    locale: Locale,
) -> dict[str, object] | None:
    """For the card: the documents not posted again this round and where to find them."""
    albums = await repos.albums.of(record.id)
    if len(albums) < 2 or chat_id is None:
        return None
    shown, where = _earlier(albums, albums[-1].round)
    current = albums[-1].documents
    same = [s for s in form.DOCUMENT_SLOTS if s in current and shown.get(s) == current[s]]
    earlier = max((where[s] for s in same if s in where), default=None)
    if not same or earlier is None:
        return None
    return {
        "names": [data.renderer.plain_label(locale, f"field_{s}") for s in same],
        "link": message_link(chat_id, earlier),
    }
