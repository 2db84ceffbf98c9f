"""Bot API methods that change or remove existing messages."""

from __future__ import annotations

from typing import Any

from sandbox.markup import inline_keyboard, require_inline
from sandbox.methods_messages import (
    Method,
    caption_fields,
    parse_markup,
    text_fields,
    writable_chat,
)
from sandbox.params import Params, bad_request
from sandbox.state import SandboxState

__all__ = ["EDIT_METHODS"]

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _editable(state: SandboxState, params: Params) -> dict[str, Any]:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the sandbox has no inline mode
    chat_id = writable_chat(state, params)
    message = state.message(chat_id, params.message_id())
    if message is None:
        raise bad_request("message to edit not found")
    if not state.is_bot_message(message):
        raise bad_request("message can't be edited")
    return message


def _apply_edit(
    state: SandboxState, message: dict[str, Any], wanted: dict[str, Any]
) -> dict[str, Any]:
    """Set every key of ``wanted`` (None/empty removes it), rejecting no-op edits."""
    if all(message.get(k) == (v or None) for k, v in wanted.items()):
        raise bad_request(_NOT_MODIFIED)
    changes = {k: v for k, v in wanted.items() if v}
    removed = tuple(k for k, v in wanted.items() if not v)
    chat_id = message["chat"]["id"]
    return state.edit_message(chat_id, message["message_id"], changes, removed)


def _edit_markup(params: Params) -> dict[str, Any] | None:
    # Omitting reply_markup in an edit removes the inline keyboard, exactly like Telegram.
    return inline_keyboard(require_inline(parse_markup(params)))


async def edit_message_text(state: SandboxState, params: Params) -> dict[str, Any]:
    """editMessageText (an omitted reply_markup removes the keyboard, as on Telegram)."""
    message = _editable(state, params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = text_fields(params)
    wanted = {"text": text, "entities": entities, "reply_markup": _edit_markup(params)}
    return _apply_edit(state, message, wanted)


async def edit_message_caption(state: SandboxState, params: Params) -> dict[str, Any]:
    """editMessageCaption."""
    message = _editable(state, params)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    caption = caption_fields(params)
    wanted = {
        "caption": caption.get("caption"),
        "caption_entities": caption.get("caption_entities"),
        "reply_markup": _edit_markup(params),
    }
    return _apply_edit(state, message, wanted)


async def edit_message_reply_markup(state: SandboxState, params: Params) -> dict[str, Any]:
    """editMessageReplyMarkup."""
    message = _editable(state, params)
    return _apply_edit(state, message, {"reply_markup": _edit_markup(params)})


async def delete_message(state: SandboxState, params: Params) -> bool:
    """deleteMessage."""
    chat_id = writable_chat(state, params)
    message_id = params.message_id()
    if state.message(chat_id, message_id) is None:
        raise bad_request("message to delete not found")
    state.delete_message(chat_id, message_id)
    return True


async def delete_messages(state: SandboxState, params: Params) -> bool:
    """deleteMessages: missing ids are skipped, like Telegram."""
    chat_id = writable_chat(state, params)
    ids = params.get_json("message_ids", "message identifiers")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 items")
    for message_id in ids:
        if isinstance(message_id, int) and state.message(chat_id, message_id) is not None:
            state.delete_message(chat_id, message_id)
    return True


EDIT_METHODS: dict[str, Method] = {
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "deletemessages": delete_messages,
}
