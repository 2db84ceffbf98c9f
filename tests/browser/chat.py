"""ChatPane: one chat on the sandbox page, used as a person would, found by data-testid."""

from __future__ import annotations

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPLY_TIMEOUT_MS = 10_000

# True once a bot message newer than `after` in the pane contains `fragment` (and a photo).
_ARRIVED = """([pane, after, fragment, photo]) => [...document.querySelectorAll(
  `[data-pane="${pane}"] [data-testid="message"][data-from="bot"]`)].some(
  (node) => Number(node.dataset.messageId) > after && node.textContent.includes(fragment)
    && (!photo || node.querySelector('[data-testid="message-photo"]') !== null))"""


class ChatPane:
    """The merchant's private chat or the staff group, as shown on the page."""

    def __init__(self, page: Page, role: str) -> None:
        self.page = page
        self.role = role
        self.root = page.get_by_test_id(f"pane-{role}")

    @property
    def bot_messages(self) -> Locator:
        """The bot's messages in this chat, oldest first."""
        return self.root.locator('[data-testid="message"][data-from="bot"]')

    def newest_id(self) -> int:
        """The highest message id shown (0 in an empty chat)."""
        ids = self.root.get_by_test_id("message").evaluate_all(
            "(nodes) => nodes.map((n) => Number(n.dataset.messageId))"
        )
        return max(ids, default=0)

    def send(self, text: str) -> int:
        """Type a message and press Enter; returns the newest id before it was sent."""
        mark = self.newest_id()
        box = self.root.get_by_test_id("composer-input")
        box.fill(text)
        box.press("Enter")
        return mark

    def press(self, label: str) -> int:
        """Tap the newest inline button whose label contains `label`."""
        mark = self.newest_id()
        self.root.get_by_test_id("inline-button").filter(has_text=label).last.click()
        return mark

    def upload(self, name: str, mime_type: str, data: bytes) -> int:
        """Pick a file with the attach button's file picker."""
        mark = self.newest_id()
        picker = self.root.get_by_test_id("file-input")
        picker.set_input_files(files=[{"name": name, "mimeType": mime_type, "buffer": data}])
        return mark

    def reply(
        self,
        fragment: str,
        *,
        after: int,
        photo: bool = False,
        timeout_ms: int = REPLY_TIMEOUT_MS,
    ) -> Locator:
        """The bot message newer than `after` that contains `fragment`, once it arrives."""
        try:
            self.page.wait_for_function(
                _ARRIVED, arg=[self.role, after, fragment, photo], timeout=timeout_ms
            )
        except PlaywrightTimeout:
            seen = self.bot_messages.evaluate_all(
                "(nodes) => nodes.slice(-4).map((n) => n.textContent.trim().slice(0, 160))"
            )
            what = "photo" if photo else "message"
            raise AssertionError(
                f"no bot {what} containing {fragment!r} in the {self.role} pane; "
                f"the last ones were {seen!r}"
            ) from None
        found = self.bot_messages.filter(has_text=fragment)
        if photo:
            found = found.filter(has=self.page.get_by_test_id("message-photo"))
        return found.last

    def any_reply(self, *, after: int, timeout_ms: int = REPLY_TIMEOUT_MS) -> Locator:
        """The first bot message newer than `after`, once it arrives."""
        return self.reply("", after=after, timeout_ms=timeout_ms)
