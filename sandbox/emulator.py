"""Telegram, emulated without HTTP: what users do, what the bot did, and the faults it meets.

``TelegramEmulator`` owns the sandbox's state (state.py) plus what both HTTP fronts need: the
token the Bot API accepts, the secret the page's control API requires, the fault queue and
the page's demo-data hook. The Bot API routes (bot_api.py) and the page routes (web.py) act
on it; server.py puts both on one aiohttp app. Tests drive users through ``send_text``,
``press_button`` ... and observe the bot through ``events`` / ``wait_for_event``.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any, Protocol

from sandbox.faults import FaultQueue
from sandbox.files import image_mime
from sandbox.formatting import detect_entities
from sandbox.limits import FloodLimits
from sandbox.methods_misc import scope_key
from sandbox.state import SandboxState

__all__ = ["DemoData", "TelegramEmulator"]


def _text_fields(text: str, key: str = "text") -> dict[str, Any]:
    """What Telegram stores for text a user typed: trimmed text plus detected entities."""
    text = text.strip()
    fields: dict[str, Any] = {key: text}
    entities = detect_entities(text)
    if entities:
        fields["entities" if key == "text" else "caption_entities"] = entities
    return fields


class DemoData(Protocol):
    """The page's demo switch; only a sandbox running with the real bot has one."""

    async def status(self, user_id: int) -> dict[str, Any]:
        """{"on": bool, ...} for this user."""
        ...

    async def turn(self, user_id: int, on: bool) -> dict[str, Any]:
        """Switch on or off for this user; returns the new status."""
        ...


class TelegramEmulator:
    """The sandbox's Telegram: its state, the bot's credentials, and the users' actions."""

    def __init__(
        self,
        *,
        bot_id: int = 7_000_000_001,
        bot_username: str = "merchant_pos_bot",
        bot_first_name: str = "POS 商户助手",
        files_dir: str | Path | None = None,
        token: str | None = None,
    ) -> None:
        # Random per run: a web page cannot guess them, and a stale bot cannot reuse them.
        self.token = token or f"{bot_id}:{secrets.token_urlsafe(32)}"
        self.secret = secrets.token_urlsafe(32)
        self.state = SandboxState(
            bot_id=bot_id,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            files_dir=Path(files_dir) if files_dir is not None else None,
        )
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.latency: float = 0.0
        self.faults = FaultQueue()
        # Telegram's 30 messages/s (1,000/s paid broadcast); None = unlimited (limits.py).
        self.flood: FloodLimits | None = None
        self.demo: DemoData | None = None

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object."""
        return dict(self.state.bot)

    # ----- users and chats ----------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> dict[str, Any]:
        """Create (or update) a user and their private chat; returns the User dict."""
        if user_id <= 0:
            raise ValueError("user ids must be positive")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return dict(self.state.add_user(user))

    def add_group(self, chat_id: int, title: str) -> dict[str, Any]:
        """Create a supergroup (negative id) in which any known user may post."""
        return dict(self.state.add_group(chat_id, title))

    # ----- user actions -------------------------------------------------------------
    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends text (commands get bot_command entities); returns the Message."""
        if not text.strip():
            raise ValueError("text must not be empty")
        return self.state.user_message(
            user_id, _text_fields(text), chat_id=chat_id, reply_to_message_id=reply_to_message_id
        )

    async def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a photo; returns the Message."""
        self.state.user(user_id)
        record = self.state.files.add(data, "photo", mime_type=image_mime(data))
        fields: dict[str, Any] = {"photo": [record.photo_size()]}
        if caption and caption.strip():
            fields.update(_text_fields(caption, "caption"))
        return self.state.user_message(
            user_id, fields, chat_id=chat_id, reply_to_message_id=reply_to_message_id
        )

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file as a document; returns the Message."""
        self.state.user(user_id)
        record = self.state.files.add(data, "document", file_name=file_name, mime_type=mime_type)
        fields: dict[str, Any] = {"document": record.document()}
        if caption and caption.strip():
            fields.update(_text_fields(caption, "caption"))
        return self.state.user_message(
            user_id, fields, chat_id=chat_id, reply_to_message_id=reply_to_message_id
        )

    async def send_raw(
        self, user_id: int, fields: dict[str, Any], *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A user sends anything else (sticker, voice, contact ...) merged into a Message."""
        return self.state.user_message(user_id, dict(fields), chat_id=chat_id)

    async def press_button(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A user taps an inline button on a bot message; returns the CallbackQuery."""
        chat = user_id if chat_id is None else chat_id
        return self.state.press_button(user_id, chat, message_id, callback_data)

    # ----- observation --------------------------------------------------------------
    def events(self, chat_id: int) -> list[dict[str, Any]]:
        """What the bot did in a chat: {"seq", "kind": message|edit|delete, "message"}."""
        return self.state.bot_events(chat_id)

    def last_seq(self) -> int:
        """The newest sequence number (covers every logged event, user's included)."""
        return len(self.state.feed)

    async def wait_for_event(
        self, chat_id: int, *, after_seq: int, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The first bot event in ``chat_id`` with seq > after_seq; TimeoutError if none."""
        async with asyncio.timeout(timeout):
            while True:
                found = self.state.bot_events(chat_id, after_seq)
                if found:
                    return found[0]
                await self.state.feed_pulse.wait()

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current messages in a chat (edits applied, deletions removed)."""
        return self.state.messages(chat_id)

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file."""
        record = self.state.files.get(file_id)
        if record is None:
            raise KeyError(file_id)
        return self.state.files.read(record)

    def callback_answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery call: callback_query_id, text, show_alert, url, cache_time."""
        return [dict(a) for a in self.state.callback_answers]

    def commands(
        self, *, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Commands set for exactly this scope and language (no fallback)."""
        key = (scope_key(self.state, scope), language_code)
        return [dict(c) for c in self.state.commands.get(key, [])]

    def chat_actions(self, chat_id: int) -> list[str]:
        """sendChatAction actions sent to a chat, in order."""
        return list(self.state.chat_actions.get(chat_id, []))

    # ----- fault injection ----------------------------------------------------------
    def fail_next(
        self,
        n: int,
        status: int = 429,
        *,
        retry_after: int = 1,
        methods: set[str] | None = None,
    ) -> None:
        """Make the next ``n`` matching calls fail (never getUpdates unless named)."""
        self.faults.add(n, status, retry_after, methods)

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot (or it is kicked from the group): sends get 403."""
        self.state.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Undo block_chat."""
        self.state.blocked.discard(chat_id)
