"""Validation of reply_markup (inline keyboards, reply keyboards) with Telegram's errors."""

from __future__ import annotations

from typing import Any

from sandbox.links import checked_link, link_user_id
from sandbox.params import ApiError, bad_request

__all__ = ["MAX_BUTTONS", "parse_reply_markup"]

MAX_BUTTONS = 100
MAX_CALLBACK_DATA = 64
# Exactly one of these makes an inline button do something.
_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_PARSE_BUTTON = "can't parse inline keyboard button: "


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(_PARSE_BUTTON + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(_PARSE_BUTTON + 'Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in _ACTIONS if button.get(name) not in (None, False)]
    if not actions:
        raise bad_request(_PARSE_BUTTON + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(_PARSE_BUTTON + "exactly one of the optional fields must be used")
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str) or not (link_user_id(url) or checked_link(url)):
            raise bad_request("BUTTON_URL_INVALID")
    return dict(button)


def _rows(markup: dict[str, Any], field: str) -> list[list[Any]]:
    rows = markup.get(field)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return [row for row in rows if row]  # Telegram silently drops empty rows


def _reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    return dict(button)


def parse_reply_markup(value: Any) -> dict[str, Any] | None:
    """Validate a reply_markup parameter; returns the normalised markup or None if absent.

    Inline keyboards come back as ``{"inline_keyboard": [...]}`` (possibly empty), reply
    keyboards as ``{"keyboard": [...], ...}``, plus ``remove_keyboard`` / ``force_reply``.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        rows = [[_inline_button(b) for b in row] for row in _rows(value, "inline_keyboard")]
        return {"inline_keyboard": rows}
    if "keyboard" in value:
        rows = [[_reply_button(b) for b in row] for row in _rows(value, "keyboard")]
        if not rows:
            raise bad_request("keyboard must be non-empty")
        return {**value, "keyboard": rows}
    if value.get("remove_keyboard") is True:
        return {"remove_keyboard": True}
    if value.get("force_reply") is True:
        return dict(value)
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The markup to store on a Message: only non-empty inline keyboards are visible there."""
    if markup and markup.get("inline_keyboard"):
        return markup
    return None


def require_inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Edits only accept inline keyboards."""
    if markup is not None and "inline_keyboard" not in markup:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    return markup
