"""Bot API methods other than message sending: updates, commands, files, chats, callbacks."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from sandbox.methods_edit import EDIT_METHODS
from sandbox.methods_messages import MESSAGE_METHODS, Method, writable_chat
from sandbox.params import ApiError, Params, bad_request
from sandbox.state import SandboxState
from sandbox.webhook import WEBHOOK_ACTIVE, WEBHOOK_METHODS

__all__ = ["METHODS", "scope_key"]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


async def get_me(state: SandboxState, params: Params) -> dict[str, Any]:
    """getMe."""
    return {
        **state.bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(state: SandboxState, params: Params) -> list[dict[str, Any]]:
    """getUpdates: a real long poll that returns as soon as an update is queued (409 while a
    webhook is set, as on Telegram)."""
    if state.webhook is not None:
        raise WEBHOOK_ACTIVE
    offset = params.get_int("offset", default=0) or 0
    limit = min(max(params.get_int("limit", default=100) or 100, 1), 100)
    timeout = max(params.get_float("timeout"), 0.0)
    allowed = params.get_json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    # A newer poll supersedes this one, which then fails with 409 like on Telegram.
    state.poll_generation += 1
    generation = state.poll_generation
    state.updates_pulse.fire()
    deadline = asyncio.get_running_loop().time() + timeout
    state.confirm(offset)
    while True:
        if state.poll_generation != generation:
            raise ApiError(409, _CONFLICT)
        if state.webhook is not None:
            raise WEBHOOK_ACTIVE
        updates = state.take_updates(limit)
        remaining = deadline - asyncio.get_running_loop().time()
        if updates or state.closing or remaining <= 0:
            return updates
        await state.updates_pulse.wait(remaining)


def scope_key(state: SandboxState, scope: Any) -> str:
    """A canonical key for a BotCommandScope (validated like Telegram)."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    key: dict[str, Any] = {"type": scope["type"]}
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        chat_id = scope.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in state.chats:
            raise bad_request("chat not found")
        key["chat_id"] = chat_id
    if scope["type"] == "chat_member":
        user_id = scope.get("user_id")
        if not isinstance(user_id, int) or user_id not in state.users:
            raise bad_request("user not found")
        key["user_id"] = user_id
    return json.dumps(key, sort_keys=True)


def _command_target(state: SandboxState, params: Params) -> tuple[str, str]:
    language = params.get_str("language_code") or ""
    if language and not _LANGUAGE.match(language):
        # Telegram wants a two-letter ISO 639-1 code here (e.g. "zh"), not "zh-hans".
        raise bad_request("invalid language code specified")
    return scope_key(state, params.get_json("scope", "BotCommandScope")), language


async def set_my_commands(state: SandboxState, params: Params) -> bool:
    """setMyCommands, stored per scope + language_code."""
    commands = params.get_json("commands", "bot commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    cleaned = []
    for item in commands:
        if not isinstance(item, dict) or not isinstance(item.get("command"), str):
            raise bad_request("can't parse BotCommand JSON object")
        name = item["command"].removeprefix("/")
        description = item.get("description")
        if not _COMMAND.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("command description must be non-empty")
        cleaned.append({"command": name, "description": description})
    key = _command_target(state, params)
    if cleaned:
        state.commands[key] = cleaned
    else:
        state.commands.pop(key, None)
    return True


async def get_my_commands(state: SandboxState, params: Params) -> list[dict[str, Any]]:
    """getMyCommands (no fallback between scopes/languages, like Telegram)."""
    return [dict(c) for c in state.commands.get(_command_target(state, params), [])]


async def delete_my_commands(state: SandboxState, params: Params) -> bool:
    """deleteMyCommands."""
    state.commands.pop(_command_target(state, params), None)
    return True


async def answer_callback_query(state: SandboxState, params: Params) -> bool:
    """answerCallbackQuery: each query can be answered once, within callback_query_ttl."""
    query_id = params.get_str("callback_query_id") or ""
    query = state.callback_queries.get(query_id)
    expired = query is not None and time.monotonic() - query["created"] > state.callback_query_ttl
    if query is None or query["answered"] or expired:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    answer = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": params.get_bool("show_alert"),
        "url": params.get_str("url"),
        "cache_time": params.get_int("cache_time"),
    }
    state.callback_answers.append(answer)
    state.emit("callback_answer", query["chat_id"], "bot", answer=answer)
    return True


async def get_file(state: SandboxState, params: Params) -> dict[str, Any]:
    """getFile."""
    record = state.files.get(params.get_str("file_id") or "")
    if record is None:
        raise bad_request("invalid file_id")
    return record.file()


async def send_chat_action(state: SandboxState, params: Params) -> bool:
    """sendChatAction."""
    chat_id = writable_chat(state, params)
    action = params.get_str("action") or ""
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.chat_actions.setdefault(chat_id, []).append(action)
    state.emit("chat_action", chat_id, "bot", action=action)
    return True


async def get_chat(state: SandboxState, params: Params) -> dict[str, Any]:
    """getChat: a ChatFullInfo with the fields python-telegram-bot requires."""
    chat = state.chat(params.chat_id())
    info: dict[str, Any] = {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if chat["type"] == "supergroup":
        info["permissions"] = {"can_send_messages": True}
    return info


def _store_setting(name: str) -> Method:
    async def store(state: SandboxState, params: Params) -> bool:
        state.bot_settings[name] = params.logged()
        return True

    store.__doc__ = f"{name}: accepted and remembered in bot_settings."
    return store


METHODS: dict[str, Method] = {
    **MESSAGE_METHODS,
    **EDIT_METHODS,
    "getme": get_me,
    "getupdates": get_updates,
    **WEBHOOK_METHODS,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "answercallbackquery": answer_callback_query,
    "getfile": get_file,
    "sendchataction": send_chat_action,
    "getchat": get_chat,
    "setmydescription": _store_setting("setMyDescription"),
    "setmyshortdescription": _store_setting("setMyShortDescription"),
    "setmyname": _store_setting("setMyName"),
    "setchatmenubutton": _store_setting("setChatMenuButton"),
}
