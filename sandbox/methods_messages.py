"""Bot API methods that post messages (send*, copy, forward) and their shared helpers."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.files import StoredFile, guess_mime, image_mime, image_size
from sandbox.formatting import format_text
from sandbox.markup import inline_keyboard, parse_reply_markup
from sandbox.params import ApiError, Params, UploadedFile, bad_request
from sandbox.state import SandboxState

__all__ = [
    "MESSAGE_METHODS",
    "Method",
    "caption_fields",
    "parse_markup",
    "text_fields",
    "writable_chat",
]

Method = Callable[[SandboxState, Params], Awaitable[Any]]

# Keys describing a message's envelope rather than its content; copies don't carry them.
_ENVELOPE = frozenset(
    {
        "message_id",
        "from",
        "chat",
        "date",
        "edit_date",
        "reply_to_message",
        "forward_origin",
        "reply_markup",
        "media_group_id",
        "has_protected_content",
        "author_signature",
        "sender_chat",
        "via_bot",
    }
)


def writable_chat(state: SandboxState, params: Params) -> int:
    """The chat_id of a call that acts in a chat: must exist and must not have blocked the bot."""
    chat_id = params.chat_id()
    chat = state.chat(chat_id)
    if chat_id in state.blocked:
        if chat["type"] == "private":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
    return chat_id


def _reply_to(state: SandboxState, params: Params, chat_id: int) -> int | None:
    reply = params.get_json("reply_parameters", "reply parameters")
    allow = params.get_bool("allow_sending_without_reply")
    message_id = params.get_int("reply_to_message_id")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = bool(reply.get("allow_sending_without_reply", allow))
    if message_id is None:
        return None
    if state.message(chat_id, message_id) is None:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return int(message_id)


def parse_markup(params: Params) -> dict[str, Any] | None:
    """The validated reply_markup parameter (None when absent)."""
    return parse_reply_markup(params.get_json("reply_markup", "reply keyboard markup"))


def _post(
    state: SandboxState,
    params: Params,
    chat_id: int,
    fields: dict[str, Any],
    markup: dict[str, Any] | None,
    reply_to: int | None,
) -> dict[str, Any]:
    """Create the bot message, attaching the inline keyboard and tracking reply keyboards."""
    if params.get_bool("protect_content"):
        fields["has_protected_content"] = True
    keyboard = inline_keyboard(markup)
    if keyboard:
        fields["reply_markup"] = keyboard
    message = state.bot_message(chat_id, fields, reply_to=reply_to)
    if markup and ("keyboard" in markup or "remove_keyboard" in markup):
        state.reply_keyboards[chat_id] = markup if "keyboard" in markup else None
        state.emit("keyboard", chat_id, "bot", markup=state.reply_keyboards[chat_id])
    return message


def text_fields(params: Params) -> tuple[str, list[dict[str, Any]]]:
    """Text and entities from text/parse_mode/entities."""
    entities = params.get_json("entities", "entities")
    return format_text(params.get_str("text"), params.get_str("parse_mode"), entities)


def caption_fields(params: Params) -> dict[str, Any]:
    """caption/caption_entities fields from caption/parse_mode/caption_entities."""
    text, entities = format_text(
        params.get_str("caption"),
        params.get_str("parse_mode"),
        params.get_json("caption_entities", "caption entities"),
        caption=True,
    )
    fields: dict[str, Any] = {}
    if text:
        fields["caption"] = text
    if entities:
        fields["caption_entities"] = entities
    return fields


def _store_upload(state: SandboxState, upload: UploadedFile, kind: str) -> StoredFile:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        if image_size(upload.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return state.files.add(upload.data, "photo", mime_type=image_mime(upload.data))
    mime = guess_mime(upload.filename, upload.content_type)
    return state.files.add(upload.data, kind, file_name=upload.filename, mime_type=mime)


def _resolve_file(state: SandboxState, params: Params, value: Any, kind: str) -> StoredFile:
    """An InputFile: an uploaded part, ``attach://name``, or an existing file_id."""
    if isinstance(value, UploadedFile):
        return _store_upload(state, value, kind)
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {kind} in the request")
    if value.startswith("attach://"):
        upload = params.files.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(f"can't find attached file {value}")
        return _store_upload(state, upload, kind)
    record = state.files.get(value)
    if record is None or value.lower().startswith(("http://", "https://")):
        # the sandbox has no internet, so URLs can never be fetched
        raise bad_request("wrong file identifier/HTTP URL specified")
    if record.kind != kind:
        raise bad_request("type of file mismatch")
    return record


def _media_fields(record: StoredFile) -> dict[str, Any]:
    if record.kind == "photo":
        return {"photo": [record.photo_size()]}
    return {"document": record.document()}


async def send_message(state: SandboxState, params: Params) -> dict[str, Any]:
    """sendMessage."""
    chat_id = writable_chat(state, params)
    text, entities = text_fields(params)
    markup = parse_markup(params)
    fields: dict[str, Any] = {"text": text}
    if entities:
        fields["entities"] = entities
    return _post(state, params, chat_id, fields, markup, _reply_to(state, params, chat_id))


def _send_file(kind: str) -> Method:
    async def send(state: SandboxState, params: Params) -> dict[str, Any]:
        chat_id = writable_chat(state, params)
        caption = caption_fields(params)
        markup = parse_markup(params)
        reply_to = _reply_to(state, params, chat_id)
        record = _resolve_file(state, params, params.files.get(kind) or params.get(kind), kind)
        fields = {**_media_fields(record), **caption}
        return _post(state, params, chat_id, fields, markup, reply_to)

    send.__doc__ = f"send{kind.title()}."
    return send


async def send_media_group(state: SandboxState, params: Params) -> list[dict[str, Any]]:
    """sendMediaGroup: 2-10 photos or 2-10 documents sharing one media_group_id."""
    chat_id = writable_chat(state, params)
    media = params.get_json("media", "media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("media must contain 2-10 items")
    kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
    if not kinds <= {"photo", "document"}:
        raise bad_request("sandbox supports only photo and document media in albums")
    if "document" in kinds and len(kinds) > 1:
        raise bad_request("document can't be mixed with other media types")
    reply_to = _reply_to(state, params, chat_id)
    prepared: list[dict[str, Any]] = []
    for item in media:
        item_params = Params(
            {k: item.get(k) for k in ("caption", "parse_mode", "caption_entities")}, {}
        )
        caption = caption_fields(item_params)
        record = _resolve_file(state, params, item.get("media"), item["type"])
        prepared.append({**_media_fields(record), **caption})
    group_id = str(secrets.randbits(60))
    messages = []
    for fields in prepared:
        fields["media_group_id"] = group_id
        messages.append(_post(state, params, chat_id, fields, None, reply_to))
    return messages


def _source(state: SandboxState, params: Params, verb: str) -> dict[str, Any]:
    from_chat = params.chat_id("from_chat_id")
    state.chat(from_chat)
    source = state.message(from_chat, params.message_id())
    if source is None:
        raise bad_request(f"message to {verb} not found")
    if source.get("has_protected_content"):
        raise bad_request(f"message can't be {'copied' if verb == 'copy' else 'forwarded'}")
    return source


async def copy_message(state: SandboxState, params: Params) -> dict[str, int]:
    """copyMessage: same content, no link to the original; returns a MessageId."""
    chat_id = writable_chat(state, params)
    source = _source(state, params, "copy")
    fields = {k: copy.deepcopy(v) for k, v in source.items() if k not in _ENVELOPE}
    if "caption" in params and "text" not in fields:
        fields.pop("caption", None)
        fields.pop("caption_entities", None)
        fields.update(caption_fields(params))
    markup = parse_markup(params)
    message = _post(state, params, chat_id, fields, markup, _reply_to(state, params, chat_id))
    return {"message_id": message["message_id"]}


async def forward_message(state: SandboxState, params: Params) -> dict[str, Any]:
    """forwardMessage: same content plus forward_origin."""
    chat_id = writable_chat(state, params)
    source = _source(state, params, "forward")
    fields = {k: copy.deepcopy(v) for k, v in source.items() if k not in _ENVELOPE}
    fields["forward_origin"] = copy.deepcopy(source.get("forward_origin")) or {
        "type": "user",
        "sender_user": copy.deepcopy(source["from"]),
        "date": source["date"],
    }
    return _post(state, params, chat_id, fields, None, None)


MESSAGE_METHODS: dict[str, Method] = {
    "sendmessage": send_message,
    "sendphoto": _send_file("photo"),
    "senddocument": _send_file("document"),
    "sendmediagroup": send_media_group,
    "copymessage": copy_message,
    "forwardmessage": forward_message,
}
