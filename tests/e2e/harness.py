"""ChatUser: a simulated Telegram user talking to the bot through the local Bot API server."""

from __future__ import annotations

from typing import Any

from sandbox.server import BotApiServer

DEFAULT_TIMEOUT = 8.0


class ChatUser:
    """Sends as a person would and waits for what the bot does next in one chat."""

    def __init__(
        self,
        server: BotApiServer,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "zh-hans",
        chat_id: int | None = None,
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        server.add_user(user_id, first_name, language_code=language_code)
        self._cursor = server.last_seq()

    def in_chat(self, chat_id: int) -> ChatUser:
        """The same person acting in another chat (a staff group)."""
        other = object.__new__(ChatUser)
        other.server, other.user_id, other.chat_id = self.server, self.user_id, chat_id
        other._cursor = self.server.last_seq()
        return other

    def _mark(self) -> None:
        # Replies are read from this point on: whatever the bot said before is history.
        self._cursor = self.server.last_seq()

    async def send(self, text: str, **kwargs: Any) -> dict:
        """Type and send a text message (commands included)."""
        self._mark()
        return await self.server.send_text(self.user_id, text, chat_id=self.chat_id, **kwargs)

    async def send_photo(self, data: bytes, **kwargs: Any) -> dict:
        """Send a photo from the gallery."""
        self._mark()
        return await self.server.send_photo(self.user_id, data, chat_id=self.chat_id, **kwargs)

    async def send_document(self, data: bytes, file_name: str, mime_type: str) -> dict:
        """Attach a file as a document."""
        self._mark()
        return await self.server.send_document(
            self.user_id, data, file_name, mime_type, chat_id=self.chat_id
        )

    async def send_raw(self, fields: dict) -> dict:
        """Send something else (a sticker, a voice note)."""
        self._mark()
        return await self.server.send_raw(self.user_id, fields, chat_id=self.chat_id)

    def find_button(self, label: str, message: dict | None = None) -> tuple[dict, str]:
        """The newest bot message with an inline button whose text contains `label`."""
        candidates = [message] if message else reversed(self.server.messages(self.chat_id))
        for msg in candidates:
            markup = msg.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button["text"] and "callback_data" in button:
                        return msg, button["callback_data"]
        raise AssertionError(f"no button labelled {label!r} in chat {self.chat_id}")

    def buttons(self, message: dict) -> list[str]:
        """The labels of a message's inline buttons, row by row."""
        markup = message.get("reply_markup") or {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]

    async def press(self, label: str, message: dict | None = None) -> dict:
        """Tap an inline button by (part of) its label."""
        msg, data = self.find_button(label, message)
        self._mark()
        return await self.server.press_button(
            self.user_id, msg["message_id"], data, chat_id=self.chat_id
        )

    async def press_data(self, message: dict, callback_data: str) -> dict:
        """Tap a button with the given callback data (e.g. one from an old message)."""
        self._mark()
        return await self.server.press_button(
            self.user_id, message["message_id"], callback_data, chat_id=self.chat_id
        )

    async def event(self, timeout: float = DEFAULT_TIMEOUT) -> dict:
        """The next thing the bot does in this chat: a new message, an edit or a deletion."""
        event = await self.server.wait_for_event(
            self.chat_id, after_seq=self._cursor, timeout=timeout
        )
        self._cursor = event["seq"]
        return event

    async def reply(self, timeout: float = DEFAULT_TIMEOUT) -> dict:
        """The next new message the bot sends in this chat (edits and deletions skipped)."""
        while True:
            event = await self.event(timeout)
            if event["kind"] == "message":
                return event["message"]

    async def edited(self, timeout: float = DEFAULT_TIMEOUT) -> dict:
        """The next message the bot edits in this chat."""
        while True:
            event = await self.event(timeout)
            if event["kind"] == "edit":
                return event["message"]

    async def reply_text(self, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Text (or caption) of the next reply."""
        message = await self.reply(timeout)
        return message.get("text") or message.get("caption") or ""

    async def expect(self, fragment: str, timeout: float = DEFAULT_TIMEOUT) -> dict:
        """Read replies until one contains `fragment`; fail with what was seen otherwise."""
        seen: list[str] = []
        try:
            while True:
                message = await self.reply(timeout)
                body = message.get("text") or message.get("caption") or ""
                if fragment in body:
                    return message
                seen.append(body)
        except TimeoutError:
            raise AssertionError(f"no reply containing {fragment!r}; saw {seen!r}") from None

    async def settle(self, quiet: float = 0.5) -> list[dict]:
        """Take whatever the bot still does in this chat (an edit sent beside a reply, say)
        until it has been quiet for `quiet` seconds; return those events."""
        taken: list[dict] = []
        while True:
            try:
                taken.append(await self.event(timeout=quiet))
            except TimeoutError:
                return taken

    async def silence(self, wait: float = 0.5) -> None:
        """Assert the bot says nothing more for `wait` seconds."""
        try:
            event = await self.event(timeout=wait)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected bot activity: {event!r}")
