"""The sandbox's world: users, chats, messages and the observable feed, over the update queue."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.files import FileStore
from sandbox.params import bad_request
from sandbox.updates import Pulse, UpdateQueue

__all__ = ["BOT_EVENT_KINDS", "SandboxState"]

BOT_EVENT_KINDS = frozenset({"message", "edit", "delete"})


def _snapshot(message: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(message)


class SandboxState(UpdateQueue):
    """All mutable sandbox data; the Bot API methods and the control API both act on it.

    The update queue (enqueue, take_updates, confirm ...) is UpdateQueue's (sandbox/updates.py).
    """

    def __init__(
        self, *, bot_id: int, bot_username: str, bot_first_name: str, files_dir: Path | None
    ) -> None:
        super().__init__()
        self.bot: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.files = FileStore(files_dir)
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._next_message_id: dict[int, int] = {}
        self.webhook: Any = None  # a webhook.Webhook while one is set (getUpdates is refused)
        self.poll_generation = 0
        self.feed: list[dict[str, Any]] = []
        self.feed_pulse = Pulse()
        # Called with every new feed entry, synchronously (the benchmarks time replies here).
        self.observers: list[Callable[[dict[str, Any]], None]] = []
        self.closing = False
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_query_ttl = 900.0
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.chat_actions: dict[int, list[str]] = {}
        self.reply_keyboards: dict[int, dict[str, Any] | None] = {}
        self.blocked: set[int] = set()
        self.bot_settings: dict[str, Any] = {}

    # ----- chats and users -------------------------------------------------------------
    def add_user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Create or update a user and their private chat with the bot."""
        user_id = user["id"]
        self.users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        self.chats[user_id] = chat
        self._messages.setdefault(user_id, {})
        self.emit("chat", user_id, "system", chat=chat, user=user)
        return user

    def add_group(self, chat_id: int, title: str) -> dict[str, Any]:
        """Create a supergroup chat."""
        if chat_id >= 0:
            raise ValueError("group chat ids must be negative")
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        self._messages.setdefault(chat_id, {})
        self.emit("chat", chat_id, "system", chat=chat)
        return chat

    def chat(self, chat_id: int) -> dict[str, Any]:
        """A known chat or Telegram's "chat not found"."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def user(self, user_id: int) -> dict[str, Any]:
        """A known user (control API side: a programming error otherwise)."""
        user = self.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}; call add_user() first")
        return user

    def chat_instance(self, chat_id: int) -> str:
        """A stable opaque chat_instance string, as in CallbackQuery."""
        return str((chat_id * 2654435761 + self.bot["id"]) % (1 << 63))

    # ----- messages -----------------------------------------------------------------
    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The stored (live) message or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Copies of all current messages in a chat, oldest first."""
        return [_snapshot(m) for _, m in sorted(self._messages.get(chat_id, {}).items())]

    def is_bot_message(self, message: dict[str, Any]) -> bool:
        """Whether the bot sent this message."""
        return message.get("from", {}).get("id") == self.bot["id"]

    def create_message(
        self,
        chat_id: int,
        sender: dict[str, Any],
        fields: dict[str, Any],
        *,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """Store a new message with the next per-chat message_id; returns the live dict."""
        chat = self.chat(chat_id)
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            target = self.message(chat_id, reply_to)
            if target is not None:
                # Telegram nests only one level of replies.
                nested = {k: v for k, v in target.items() if k != "reply_to_message"}
                message["reply_to_message"] = _snapshot(nested)
        message.update(fields)
        self._messages.setdefault(chat_id, {})[message_id] = message
        return message

    def user_message(
        self,
        user_id: int,
        fields: dict[str, Any],
        *,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user posts a message: store it, log it and enqueue a "message" update."""
        user = self.user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        if chat_id not in self.chats:
            raise ValueError(f"unknown chat {chat_id}; call add_group() first")
        if chat_id > 0 and chat_id != user_id:
            raise ValueError("a user can only write in their own private chat or in groups")
        if reply_to_message_id is not None and self.message(chat_id, reply_to_message_id) is None:
            raise ValueError(f"message {reply_to_message_id} not found in chat {chat_id}")
        message = self.create_message(chat_id, user, fields, reply_to=reply_to_message_id)
        snapshot = _snapshot(message)
        self.emit("message", chat_id, "user", message=snapshot)
        self.enqueue("message", snapshot)
        return _snapshot(message)

    def press_button(
        self, user_id: int, chat_id: int, message_id: int, data: str
    ) -> dict[str, Any]:
        """A user taps an inline button; enqueues a "callback_query" update."""
        user = self.user(user_id)
        message = self.message(chat_id, message_id)
        if message is None or not self.is_bot_message(message):
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        datas = [b.get("callback_data") for row in rows for b in row]
        if data not in datas:
            raise ValueError(f"message {message_id} has no button {data!r}; it has {datas}")
        query_id = str(secrets.randbits(62))
        query = {
            "id": query_id,
            "from": user,
            "message": _snapshot(message),
            "chat_instance": self.chat_instance(chat_id),
            "data": data,
        }
        self.callback_queries[query_id] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "created": time.monotonic(),
            "answered": False,
        }
        self.emit("press", chat_id, "user", callback_query=_snapshot(query))
        self.enqueue("callback_query", _snapshot(query))
        return query

    def _known_mentions(self, fields: dict[str, Any]) -> None:
        """Fill text_mention users (parsed from tg://user?id=N) with what the sandbox knows."""
        for key in ("entities", "caption_entities"):
            for entity in fields.get(key) or []:
                if entity["type"] == "text_mention" and entity["user"]["id"] in self.users:
                    entity["user"] = dict(self.users[entity["user"]["id"]])

    def bot_message(
        self, chat_id: int, fields: dict[str, Any], *, reply_to: int | None = None
    ) -> dict[str, Any]:
        """The bot posts a message; logs a "message" event and returns a copy."""
        self._known_mentions(fields)
        message = self.create_message(chat_id, self.bot, fields, reply_to=reply_to)
        self.emit("message", chat_id, "bot", message=_snapshot(message))
        return _snapshot(message)

    def edit_message(
        self, chat_id: int, message_id: int, changes: dict[str, Any], removed: tuple[str, ...]
    ) -> dict[str, Any]:
        """Apply an edit by the bot; logs an "edit" event and returns a copy."""
        message = self._messages[chat_id][message_id]
        self._known_mentions(changes)
        for key in removed:
            message.pop(key, None)
        message.update(changes)
        message["edit_date"] = int(time.time())
        self.emit("edit", chat_id, "bot", message=_snapshot(message))
        return _snapshot(message)

    def delete_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """Delete a message (by the bot); logs a "delete" event."""
        message = self._messages[chat_id].pop(message_id)
        self.emit("delete", chat_id, "bot", message=_snapshot(message))
        return message

    # ----- feed ------------------------------------------------------------------
    def emit(self, kind: str, chat_id: int, actor: str, **data: Any) -> dict[str, Any]:
        """Append an entry to the feed (seq == index + 1) and wake observers."""
        entry = {"seq": len(self.feed) + 1, "kind": kind, "chat_id": chat_id, "actor": actor}
        entry.update(data)
        self.feed.append(entry)
        for observer in self.observers:
            observer(entry)
        self.feed_pulse.fire()
        return entry

    def bot_events(self, chat_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        """The bot's message/edit/delete events in a chat after ``after_seq``."""
        return [
            {"seq": e["seq"], "kind": e["kind"], "message": copy.deepcopy(e["message"])}
            for e in self.feed[max(after_seq, 0) :]
            if e["chat_id"] == chat_id and e["actor"] == "bot" and e["kind"] in BOT_EVENT_KINDS
        ]
